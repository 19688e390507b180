-- The peer of run.sh's figure (f): remiss's RegisterOrganization as a PostgreSQL event store
-- does the same work (what Marten, Eventuous and Emmett do): in one transaction, the command
-- record with its request hash (the command id its primary key: a retry is recognised), one
-- event row (UNIQUE(stream_id, version): the optimistic concurrency check; a global position
-- from an identity), and the projection's upsert. Data as JSONB, as those libraries store it.
CREATE TABLE commands (
  command_id      text PRIMARY KEY,
  request_hash    bytea NOT NULL,
  stream_id       text NOT NULL,
  global_position bigint NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  global_position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream_id       text NOT NULL,
  version         bigint NOT NULL,
  event_id        uuid NOT NULL,
  event_type      text NOT NULL,
  data            jsonb NOT NULL,
  metadata        jsonb NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream_id, version)
);

CREATE TABLE organizations (
  org_id       text PRIMARY KEY,
  name         text NOT NULL,
  kind         text NOT NULL,
  diary_prefix text NOT NULL,
  version      bigint NOT NULL,
  updated_at   timestamptz NOT NULL
);

-- One call, one round trip, one transaction (autocommit: the statement's own), as
-- Eventuous's append_events and Emmett's emt_append_to_stream are called: PL/pgSQL keeps
-- the inner statements' plans for the connection's life, as a driver's prepared statements.
-- The request hash is computed here, as remissd computes it from the request it received.
-- Registering an organization whose stream exists fails on UNIQUE(stream_id, version), as
-- remiss's expected version "no stream" does.
CREATE FUNCTION register_organization(p_command_id text, p_org_id text, p_name text,
                                      p_kind text, p_diary_prefix text, p_actor text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_stream   text := 'organization-' || p_org_id;
  v_data     jsonb := jsonb_build_object('orgId', p_org_id, 'name', p_name, 'kind', p_kind,
                                         'diaryPrefix', p_diary_prefix);
  v_position bigint;
BEGIN
  INSERT INTO events (stream_id, version, event_id, event_type, data, metadata)
  VALUES (v_stream, 1, gen_random_uuid(), 'remiss.v1.OrganizationRegistered', v_data,
          jsonb_build_object('commandId', p_command_id, 'actor', p_actor))
  RETURNING global_position INTO v_position;
  INSERT INTO commands (command_id, request_hash, stream_id, global_position)
  VALUES (p_command_id,
          sha256(convert_to(concat_ws(E'\x1f', p_command_id, p_org_id, p_name, p_kind,
                                      p_diary_prefix), 'UTF8')),
          v_stream, v_position);
  INSERT INTO organizations AS o (org_id, name, kind, diary_prefix, version, updated_at)
  VALUES (p_org_id, p_name, p_kind, p_diary_prefix, 1, now())
  ON CONFLICT (org_id) DO UPDATE
    SET name = excluded.name, kind = excluded.kind, diary_prefix = excluded.diary_prefix,
        version = o.version + 1, updated_at = excluded.updated_at;
  RETURN v_position;
END
$$;
