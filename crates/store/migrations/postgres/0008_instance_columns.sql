-- Every filter a listing takes is answered in SQL from columns (and the
-- indexes below) instead of decoding the account's instances on the node.
-- Lists are arrays; a tag is `key` U+001F `value`.
ALTER TABLE instances
    ADD COLUMN zone TEXT NOT NULL DEFAULT '',
    ADD COLUMN name TEXT NOT NULL DEFAULT '',
    ADD COLUMN image_id TEXT NOT NULL DEFAULT '',
    ADD COLUMN plan_id TEXT NOT NULL DEFAULT '',
    ADD COLUMN charge_type TEXT NOT NULL DEFAULT '',
    ADD COLUMN vpc_id TEXT NOT NULL DEFAULT '',
    ADD COLUMN subnet_id TEXT NOT NULL DEFAULT '',
    ADD COLUMN uuid TEXT NOT NULL DEFAULT '',
    ADD COLUMN expires_at BIGINT,
    ADD COLUMN private_ips TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN public_ips TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN tag_keys TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN tag_values TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN tags TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN security_groups TEXT[] NOT NULL DEFAULT '{}',
    ADD COLUMN key_ids TEXT[] NOT NULL DEFAULT '{}';

UPDATE instances SET
    zone = COALESCE(b ->> 'zone', ''),
    name = COALESCE(b ->> 'name', ''),
    image_id = COALESCE(b ->> 'image_id', ''),
    plan_id = COALESCE(b ->> 'plan_id', ''),
    charge_type = COALESCE(b ->> 'charge_type', ''),
    vpc_id = COALESCE(b ->> 'vpc_id', ''),
    subnet_id = COALESCE(b ->> 'subnet_id', ''),
    uuid = COALESCE(b ->> 'uuid', ''),
    expires_at = (b ->> 'expires_at')::bigint,
    private_ips = ARRAY(SELECT jsonb_array_elements_text(COALESCE(b -> 'private_ips', '[]'))),
    public_ips = ARRAY(SELECT jsonb_array_elements_text(COALESCE(b -> 'public_ips', '[]'))),
    tag_keys = ARRAY(SELECT t ->> 'key' FROM jsonb_array_elements(COALESCE(b -> 'tags', '[]')) t),
    tag_values = ARRAY(SELECT t ->> 'value' FROM jsonb_array_elements(COALESCE(b -> 'tags', '[]')) t),
    tags = ARRAY(SELECT (t ->> 'key') || chr(31) || (t ->> 'value')
                 FROM jsonb_array_elements(COALESCE(b -> 'tags', '[]')) t),
    security_groups = ARRAY(SELECT jsonb_array_elements_text(COALESCE(b -> 'security_group_ids', '[]'))),
    key_ids = ARRAY(SELECT jsonb_array_elements_text(COALESCE(b -> 'login' -> 'key_ids', '[]')))
FROM (SELECT account AS a, id AS i, body::jsonb AS b FROM instances) AS decoded
WHERE account = decoded.a AND id = decoded.i;

CREATE INDEX instances_by_state ON instances (account, product, state);
CREATE INDEX instances_by_zone ON instances (account, product, zone);
CREATE INDEX instances_by_image ON instances (account, product, image_id);
CREATE INDEX instances_by_plan ON instances (account, product, plan_id);
CREATE INDEX instances_by_charge_type ON instances (account, product, charge_type);
CREATE INDEX instances_by_vpc ON instances (account, product, vpc_id);
CREATE INDEX instances_by_subnet ON instances (account, product, subnet_id);
CREATE INDEX instances_by_uuid ON instances (account, uuid);
CREATE INDEX instances_by_expiry ON instances (account, product, expires_at);
CREATE INDEX instances_by_private_ip ON instances USING gin (private_ips);
CREATE INDEX instances_by_public_ip ON instances USING gin (public_ips);
CREATE INDEX instances_by_tag_key ON instances USING gin (tag_keys);
CREATE INDEX instances_by_tag_value ON instances USING gin (tag_values);
CREATE INDEX instances_by_tag ON instances USING gin (tags);
CREATE INDEX instances_by_security_group ON instances USING gin (security_groups);
CREATE INDEX instances_by_key ON instances USING gin (key_ids);
