-- Security groups were a comma-joined vendor attribute (CVM's and KEC's);
-- they are the instance's typed `security_group_ids` now.
UPDATE instances
SET body = (
    (body::jsonb #- '{attributes,cvm.security_groups}' #- '{attributes,kec.security_groups}')
    || jsonb_build_object('security_group_ids', to_jsonb(array_remove(string_to_array(
        COALESCE(body::jsonb -> 'attributes' ->> 'cvm.security_groups',
                 body::jsonb -> 'attributes' ->> 'kec.security_groups'), ','), '')))
)::text
WHERE body::jsonb -> 'attributes' ?| array['cvm.security_groups', 'kec.security_groups'];
