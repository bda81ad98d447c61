-- Security groups were a comma-joined vendor attribute (CVM's and KEC's);
-- they are the instance's typed `security_group_ids` now.
UPDATE instances
SET body = json_set(
    json_remove(body, '$.attributes."cvm.security_groups"', '$.attributes."kec.security_groups"'),
    '$.security_group_ids',
    json(CASE
        WHEN COALESCE(json_extract(body, '$.attributes."cvm.security_groups"'),
                      json_extract(body, '$.attributes."kec.security_groups"'), '') = ''
        THEN '[]'
        ELSE '["' || replace(COALESCE(json_extract(body, '$.attributes."cvm.security_groups"'),
                                      json_extract(body, '$.attributes."kec.security_groups"')),
                             ',', '","') || '"]'
    END))
WHERE json_extract(body, '$.attributes."cvm.security_groups"') IS NOT NULL
   OR json_extract(body, '$.attributes."kec.security_groups"') IS NOT NULL;
