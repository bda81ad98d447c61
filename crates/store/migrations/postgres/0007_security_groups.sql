-- Security groups were a vendor attribute (CVM's and KEC's comma-joined,
-- ZEC's one id); they are the instance's typed `security_group_ids` now.
UPDATE instances
SET body = (
    (body::jsonb #- '{attributes,cvm.security_groups}'
                 #- '{attributes,kec.security_groups}'
                 #- '{attributes,zec.security_group_id}')
    || jsonb_build_object('security_group_ids', to_jsonb(array_remove(string_to_array(
        COALESCE(body::jsonb -> 'attributes' ->> 'cvm.security_groups',
                 body::jsonb -> 'attributes' ->> 'kec.security_groups',
                 body::jsonb -> 'attributes' ->> 'zec.security_group_id'), ','), '')))
)::text
WHERE body::jsonb -> 'attributes' ?| array['cvm.security_groups', 'kec.security_groups',
                                           'zec.security_group_id'];
