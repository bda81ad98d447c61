-- Security groups were a vendor attribute (CVM's and KEC's comma-joined,
-- ZEC's one id); they are the instance's typed `security_group_ids` now.
UPDATE instances
SET body = json_set(
    json_remove(body, '$.attributes."cvm.security_groups"',
                      '$.attributes."kec.security_groups"',
                      '$.attributes."zec.security_group_id"'),
    '$.security_group_ids',
    json(CASE
        WHEN COALESCE(json_extract(body, '$.attributes."cvm.security_groups"'),
                      json_extract(body, '$.attributes."kec.security_groups"'),
                      json_extract(body, '$.attributes."zec.security_group_id"'), '') = ''
        THEN '[]'
        ELSE '["' || replace(COALESCE(json_extract(body, '$.attributes."cvm.security_groups"'),
                                      json_extract(body, '$.attributes."kec.security_groups"'),
                                      json_extract(body, '$.attributes."zec.security_group_id"')),
                             ',', '","') || '"]'
    END))
WHERE json_extract(body, '$.attributes."cvm.security_groups"') IS NOT NULL
   OR json_extract(body, '$.attributes."kec.security_groups"') IS NOT NULL
   OR json_extract(body, '$.attributes."zec.security_group_id"') IS NOT NULL;
