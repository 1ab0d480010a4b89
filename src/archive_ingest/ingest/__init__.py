"""A run: files dropped in the inbox become archived originals and catalog records.

`pipeline` orders the stages (`stages/registry.py` lists them), isolates each file and
commits in batches; `workers` runs the per-file stages in worker processes; `recovery`
puts right what a killed run left; `context` is what every stage may read; `drops` and
`manifests` are the inbox's files and caption rows; `similarity` and `pixelmatch` find
near duplicates; `watch` runs the pipeline batch by batch as files land (`run --watch`).
"""
