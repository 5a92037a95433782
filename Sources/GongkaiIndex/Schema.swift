// Index schema, indexer and searcher live here.
