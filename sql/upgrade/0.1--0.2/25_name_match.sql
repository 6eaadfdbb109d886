-- 0.1 -> 0.2, name matching: the comments point to docs/namematch.md (the
-- README section they named moved there).
COMMENT ON FUNCTION cdp.name_similarity(text, text) IS
    'Person-name similarity in [0,1]: normalised, token-order-insensitive, nickname-aware, initials, typos, phonetics (docs/namematch.md).';
COMMENT ON FUNCTION cdp.gin_name_options(internal) IS
    'GIN support (cdp.gin_name_ops): operator class option pairs (bool, default true; docs/namematch.md).';
COMMENT ON OPERATOR CLASS cdp.gin_name_ops USING gin IS
    'GIN index on person names for %~ (keys: token deletion variants, phonetic codes, initials, initial-token pairs; docs/namematch.md).';
