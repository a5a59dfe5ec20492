"""The edge where bytes become data: nothing in `engine.core` opens a file.

  documents.py   the one loader of YAML/JSON document files (policies, policy tests, disputes, mappings)
  yamlload.py    safe YAML with the line of every value, exact decimals, no aliases or tags
  jsontext.py    the one JSON decoder: exact decimals, no NaN, no duplicate keys
  schemas.py     JSON Schema checks (schemas read on first use), every error with a path and a hint
  schemafast.py  schemas compiled to fast checks that vouch for valid documents
  inputs.py      record files streamed (JSON, JSONL, YAML, stdin), every record with its line
  seenids.py     duplicate record ids, exactly, in bounded memory
  atomic.py      output files written whole or not at all
  resources.py   where the bundled policies, schemas and mappings are
"""
