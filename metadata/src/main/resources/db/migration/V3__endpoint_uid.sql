-- The proxy finds an endpoint by its uid (the host name's first label) on every connection.
CREATE INDEX resources_by_uid ON resources (kind, json_extract(body, '$.uid'));
