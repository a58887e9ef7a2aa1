//! The schema, as a list of migrations. Each runs once, in order, inside
//! one transaction with the `user_version` bump, so a crash leaves the
//! database at the old version or the new one. A migration is never edited
//! after it has shipped: change the schema by adding one.

use rusqlite::Connection;

use crate::StoreError;

pub struct Migration {
    pub version: i64,
    pub description: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "settings, clients with aliases, matters with number counters, audit log",
        sql: r#"
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE clients (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('person', 'organization')),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    email      TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL DEFAULT '',
    notes      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX clients_name ON clients (name COLLATE NOCASE);

CREATE TABLE client_aliases (
    client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
    alias     TEXT NOT NULL CHECK (length(trim(alias)) > 0),
    PRIMARY KEY (client_id, alias)
) STRICT;

CREATE TABLE matters (
    id                 INTEGER PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE CHECK (length(trim(number)) > 0),
    title              TEXT NOT NULL CHECK (length(trim(title)) > 0),
    client_id          INTEGER NOT NULL REFERENCES clients (id),
    practice_area      TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_on          TEXT NOT NULL,
    closed_on          TEXT,
    responsible_lawyer TEXT NOT NULL DEFAULT '',
    notes              TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    CHECK (closed_on IS NULL OR closed_on >= opened_on)
) STRICT;
CREATE INDEX matters_client ON matters (client_id);

-- Next sequence number per rendered scheme prefix, e.g. '2026-{seq}'.
CREATE TABLE matter_counters (
    scope TEXT PRIMARY KEY,
    next  INTEGER NOT NULL
) STRICT;

-- Append-only: entries are chained by a MAC (see the audit crate); the
-- triggers stop accidental edits, the chain detects deliberate ones.
CREATE TABLE audit_log (
    seq     INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    object  TEXT NOT NULL,
    details TEXT NOT NULL,
    mac     BLOB NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- The newest entry's sequence and MAC, itself MACed: cutting the tail of
-- the log is detected against it.
CREATE TABLE audit_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    seq      INTEGER NOT NULL,
    mac      BLOB NOT NULL,
    head_mac BLOB NOT NULL
) STRICT;
"#,
    },
    Migration {
        version: 2,
        description: "matter parties and timeline; timeline backfilled from open and close dates",
        sql: r#"
CREATE TABLE matter_parties (
    id        INTEGER PRIMARY KEY,
    matter_id INTEGER NOT NULL REFERENCES matters (id) ON DELETE CASCADE,
    name      TEXT NOT NULL CHECK (length(trim(name)) > 0),
    role      TEXT NOT NULL DEFAULT '',
    side      TEXT NOT NULL CHECK (side IN ('related', 'adverse'))
) STRICT;
CREATE INDEX matter_parties_matter ON matter_parties (matter_id);
CREATE INDEX matter_parties_name ON matter_parties (name COLLATE NOCASE);

CREATE TABLE matter_events (
    id          INTEGER PRIMARY KEY,
    matter_id   INTEGER NOT NULL REFERENCES matters (id) ON DELETE CASCADE,
    occurred_on TEXT NOT NULL,
    kind        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX matter_events_matter ON matter_events (matter_id, occurred_on);

INSERT INTO matter_events (matter_id, occurred_on, kind, description, created_at)
    SELECT id, opened_on, 'opened', 'Matter opened', created_at FROM matters;
INSERT INTO matter_events (matter_id, occurred_on, kind, description, created_at)
    SELECT id, closed_on, 'closed', 'Matter closed', updated_at FROM matters
    WHERE closed_on IS NOT NULL;
"#,
    },
    Migration {
        version: 3,
        description: "indexes for the matter list: newest first, by status, by practice area",
        sql: r#"
CREATE INDEX matters_opened ON matters (opened_on DESC, id DESC);
CREATE INDEX matters_status_opened ON matters (status, opened_on DESC, id DESC);
CREATE INDEX matters_area ON matters (practice_area COLLATE NOCASE);
"#,
    },
    Migration {
        version: 4,
        description: "documents and their versions; each version's key is kept only wrapped",
        sql: r#"
CREATE TABLE documents (
    id            INTEGER PRIMARY KEY,
    matter_id     INTEGER NOT NULL REFERENCES matters (id),
    title         TEXT NOT NULL CHECK (length(trim(title)) > 0),
    original_name TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX documents_matter ON documents (matter_id);

CREATE TABLE document_versions (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    version     INTEGER NOT NULL,
    blob_id     TEXT NOT NULL UNIQUE,
    key_id      BLOB NOT NULL,
    wrapped_key BLOB NOT NULL,
    size        INTEGER NOT NULL,
    sha256      BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (document_id, version)
) STRICT;
CREATE INDEX document_versions_sha256 ON document_versions (sha256);
"#,
    },
    Migration {
        version: 5,
        description: "full-text index of document text and names, inside the encrypted database",
        sql: r#"
ALTER TABLE documents ADD COLUMN text_status TEXT NOT NULL DEFAULT 'not_extracted'
    CHECK (text_status IN ('not_extracted', 'extracted', 'no_text', 'unsupported'));

-- rowid = documents.id. The index lives in the SQLCipher database like
-- everything else: never on disk in clear.
CREATE VIRTUAL TABLE document_search USING fts5(
    title, original_name, body,
    tokenize = 'unicode61 remove_diacritics 2'
);
"#,
    },
    Migration {
        version: 6,
        description: "document notes, tags and trash",
        sql: r#"
ALTER TABLE documents ADD COLUMN notes TEXT NOT NULL DEFAULT '';
-- Set when the document is moved to the trash; destruction is retention's.
ALTER TABLE documents ADD COLUMN trashed_at TEXT;

CREATE TABLE document_tags (
    document_id INTEGER NOT NULL REFERENCES documents (id),
    tag         TEXT NOT NULL CHECK (length(trim(tag)) > 0),
    PRIMARY KEY (document_id, tag)
) STRICT, WITHOUT ROWID;
CREATE INDEX document_tags_tag ON document_tags (tag COLLATE NOCASE);
"#,
    },
    Migration {
        version: 7,
        description: "search document tags and notes too; deleted entries leave no trace in the index",
        sql: r#"
CREATE VIRTUAL TABLE document_search_v7 USING fts5(
    title, original_name, body, meta,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- A deleted or replaced entry's tokens are removed from the index itself,
-- not only marked: destroyed documents leave no text behind.
INSERT INTO document_search_v7 (document_search_v7, rank) VALUES ('secure-delete', 1);
INSERT INTO document_search_v7 (rowid, title, original_name, body, meta)
SELECT s.rowid, s.title, s.original_name, s.body,
       d.notes || ' ' || coalesce((SELECT group_concat(tag, ' ') FROM document_tags
                                   WHERE document_id = d.id), '')
FROM document_search s JOIN documents d ON d.id = s.rowid;
DROP TABLE document_search;
ALTER TABLE document_search_v7 RENAME TO document_search;
"#,
    },
    Migration {
        version: 8,
        description: "the watched inbox: one row per file taken, the journal that makes ingest exactly-once",
        sql: r#"
-- One row per file taken from the inbox, committed with its encrypted copy:
-- a claim id recorded here means "ingested", so a restart after a crash
-- removes the original instead of ingesting it twice. While a file waits
-- in the Unfiled queue its sealed blob, wrapped key and text are held here;
-- filing it creates the document and moves them there.
CREATE TABLE inbox_items (
    id            INTEGER PRIMARY KEY,
    claim_id      TEXT NOT NULL UNIQUE,
    original_name TEXT NOT NULL,
    subfolder     TEXT NOT NULL DEFAULT '',
    received_at   TEXT NOT NULL,
    size          INTEGER NOT NULL,
    sha256        BLOB NOT NULL,
    routed_by     TEXT NOT NULL CHECK (routed_by IN ('subfolder', 'file_name', 'rule', 'unfiled')),
    document_id   INTEGER REFERENCES documents (id),
    duplicate_of  INTEGER REFERENCES documents (id),
    blob_id       TEXT UNIQUE,
    key_id        BLOB,
    wrapped_key   BLOB,
    body          TEXT NOT NULL DEFAULT '',
    text_status   TEXT NOT NULL DEFAULT 'unsupported',
    tags          TEXT NOT NULL DEFAULT '',
    CHECK ((document_id IS NULL) = (blob_id IS NOT NULL))
) STRICT;
CREATE INDEX inbox_items_unfiled ON inbox_items (id) WHERE document_id IS NULL;
"#,
    },
    Migration {
        version: 9,
        description: "retention policies, legal holds, deferrals, destruction jobs and the destruction register",
        sql: r#"
CREATE TABLE retention_policies (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    trigger     TEXT NOT NULL CHECK (trigger IN ('matter_closed', 'date_added', 'permanent')),
    years       INTEGER NOT NULL DEFAULT 0,
    months      INTEGER NOT NULL DEFAULT 0,
    -- Destroy due items without asking: off unless chosen, per policy.
    danger_destroy_without_approval INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE practice_area_policies (
    practice_area TEXT PRIMARY KEY COLLATE NOCASE,
    policy_id     INTEGER NOT NULL REFERENCES retention_policies (id)
) STRICT;

ALTER TABLE matters ADD COLUMN retention_policy_id INTEGER REFERENCES retention_policies (id);

CREATE TABLE legal_holds (
    id          INTEGER PRIMARY KEY,
    target      TEXT NOT NULL CHECK (target IN ('client', 'matter', 'document')),
    target_id   INTEGER NOT NULL,
    reason      TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    placed_on   TEXT NOT NULL,
    placed_at   TEXT NOT NULL,
    released_at TEXT
) STRICT;
CREATE INDEX legal_holds_target ON legal_holds (target, target_id) WHERE released_at IS NULL;

CREATE TABLE retention_deferrals (
    kind      TEXT NOT NULL CHECK (kind IN ('matter', 'document')),
    target_id INTEGER NOT NULL,
    until     TEXT NOT NULL,
    PRIMARY KEY (kind, target_id)
) STRICT, WITHOUT ROWID;

-- Blobs whose records are gone and whose files are still to be overwritten
-- and removed: a crash mid-destruction resumes from here.
CREATE TABLE destruction_jobs (
    blob_id TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;

-- The permanent index of destroyed files. Rows are never changed or
-- removed (triggers below).
CREATE TABLE destruction_register (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('matter', 'document')),
    matter_number  TEXT NOT NULL,
    title          TEXT,
    title_sha256   TEXT NOT NULL,
    content_sha256 TEXT,
    opened_on      TEXT,
    closed_on      TEXT,
    added_on       TEXT,
    policy         TEXT NOT NULL,
    approved_by    TEXT NOT NULL,
    approved_at    TEXT NOT NULL,
    destroyed_at   TEXT NOT NULL,
    method         TEXT NOT NULL,
    certificate    TEXT NOT NULL
) STRICT;
CREATE TRIGGER destruction_register_no_update BEFORE UPDATE ON destruction_register
BEGIN SELECT RAISE(ABORT, 'the destruction register is permanent'); END;
CREATE TRIGGER destruction_register_no_delete BEFORE DELETE ON destruction_register
BEGIN SELECT RAISE(ABORT, 'the destruction register is permanent'); END;
"#,
    },
    Migration {
        version: 10,
        description: "each audited row records the audit entry that last touched it",
        sql: r#"
-- The sequence of the newest audit entry about the row: a log cut off
-- together with its head (by someone with the database key and an older
-- head) leaves rows newer than the log's end, which verify reports.
ALTER TABLE clients ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE matters ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE documents ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbox_items ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0;
"#,
    },
    Migration {
        version: 11,
        description: "the OCR queue: a job per scanned document version, recognised text per page, searchable in its own index column",
        sql: r#"
-- One job per document version to recognise (only ever the document's
-- current version). Pages are recognised in order; `next_page` (from 0)
-- advances in the transaction that records the page, so a crash, a lock
-- or a restart resumes at the next page and no page is recognised twice.
-- `page_attempts` counts starts at `next_page` without a result (a page
-- that kills the process each time is recorded failed after a few).
CREATE TABLE ocr_jobs (
    version_id      INTEGER PRIMARY KEY REFERENCES document_versions (id),
    document_id     INTEGER NOT NULL REFERENCES documents (id),
    mode            TEXT NOT NULL CHECK (mode IN ('auto', 'redo', 'force')),
    languages       TEXT NOT NULL CHECK (length(languages) > 0),
    page_count      INTEGER,
    next_page       INTEGER NOT NULL DEFAULT 0 CHECK (next_page >= 0),
    status          TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'partial', 'failed')),
    reason          TEXT,
    mean_confidence INTEGER CHECK (mean_confidence BETWEEN 0 AND 100),
    attempts        INTEGER NOT NULL DEFAULT 0,
    page_attempts   INTEGER NOT NULL DEFAULT 0,
    queued_at       TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    CHECK (page_count IS NULL OR next_page <= page_count)
) STRICT;
CREATE INDEX ocr_jobs_pending ON ocr_jobs (queued_at, version_id)
    WHERE status IN ('queued', 'running');
CREATE INDEX ocr_jobs_document ON ocr_jobs (document_id);

-- The text recognised on each page (numbered from 1), kept for the page a
-- search hit names and to rebuild the index column on each page.
CREATE TABLE ocr_pages (
    version_id  INTEGER NOT NULL REFERENCES ocr_jobs (version_id),
    page        INTEGER NOT NULL CHECK (page >= 1),
    status      TEXT NOT NULL CHECK (status IN ('recognised', 'text_layer', 'failed')),
    text        TEXT NOT NULL DEFAULT '',
    confidence  INTEGER CHECK (confidence BETWEEN 0 AND 100),
    reason      TEXT,
    attempts    INTEGER NOT NULL DEFAULT 1,
    done_at     TEXT NOT NULL,
    PRIMARY KEY (version_id, page)
) STRICT;

-- The index gains a column for recognised text, beside the extracted
-- text: ranked by the same bm25 with the other columns, replaced on a
-- redo without touching the text layer's. Rebuilt as migration 7 did.
CREATE VIRTUAL TABLE document_search_v11 USING fts5(
    title, original_name, body, meta, ocr,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO document_search_v11 (document_search_v11, rank) VALUES ('secure-delete', 1);
INSERT INTO document_search_v11 (rowid, title, original_name, body, meta, ocr)
SELECT rowid, title, original_name, body, meta, '' FROM document_search;
DROP TABLE document_search;
ALTER TABLE document_search_v11 RENAME TO document_search;
"#,
    },
    Migration {
        version: 12,
        description: "conflict checks: prospects, names kept from destroyed matters, common parties, immutable checks, hits and decisions",
        sql: r#"
-- Aliases now say whether they are another name in use or a former name;
-- both are searched alike.
ALTER TABLE client_aliases ADD COLUMN former INTEGER NOT NULL DEFAULT 0 CHECK (former IN (0, 1));

-- Immutable record of one check: who ran it, when, with which matcher.
CREATE TABLE conflict_checks (
    id              INTEGER PRIMARY KEY,
    purpose         TEXT NOT NULL CHECK (purpose IN ('intake', 'matter_open', 'party_added')),
    -- The matter a check was run for when a party was added (no foreign
    -- key: the check outlives a destroyed matter).
    matter_id       INTEGER,
    matter_number   TEXT,
    -- The existing client the check was run for (its own record is no hit).
    client_id       INTEGER,
    matcher_version TEXT NOT NULL,
    checked_by      TEXT NOT NULL,
    checked_at      TEXT NOT NULL
) STRICT;

-- The names searched, in the order given.
CREATE TABLE conflict_check_names (
    check_id INTEGER NOT NULL REFERENCES conflict_checks (id),
    position INTEGER NOT NULL,
    name     TEXT NOT NULL CHECK (length(trim(name)) > 0),
    kind     TEXT NOT NULL CHECK (kind IN ('person', 'organization', 'unknown')),
    role     TEXT NOT NULL CHECK (role IN ('client', 'adverse', 'related')),
    PRIMARY KEY (check_id, position)
) STRICT, WITHOUT ROWID;

-- Every hit a check found, as it was when found (names, matter numbers
-- and dates copied: the client or matter may change or be destroyed).
CREATE TABLE conflict_hits (
    id            INTEGER PRIMARY KEY,
    check_id      INTEGER NOT NULL REFERENCES conflict_checks (id),
    position      INTEGER NOT NULL,
    searched      INTEGER NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('client', 'party', 'prospect', 'destroyed')),
    entry_name    TEXT NOT NULL,
    matched_name  TEXT NOT NULL,
    alias         TEXT CHECK (alias IN ('alias', 'former_name')),
    side          TEXT NOT NULL CHECK (side IN ('client', 'adverse', 'related', 'prospect')),
    party_role    TEXT NOT NULL DEFAULT '',
    client_id     INTEGER,
    matter_id     INTEGER,
    matter_number TEXT,
    matter_status TEXT,
    opened_on     TEXT,
    closed_on     TEXT,
    destroyed_on  TEXT,
    prospect_id   INTEGER,
    score         REAL NOT NULL,
    reason        TEXT NOT NULL,
    explanation   TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('high', 'medium', 'low', 'suppressed')),
    UNIQUE (check_id, position)
) STRICT;

-- Decisions are appended; the newest for a hit is the one in force.
CREATE TABLE conflict_decisions (
    id         INTEGER PRIMARY KEY,
    hit_id     INTEGER NOT NULL REFERENCES conflict_hits (id),
    decision   TEXT NOT NULL CHECK (decision IN ('no_conflict', 'conflict', 'waiver_needed')),
    reason     TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
) STRICT;
CREATE INDEX conflict_decisions_hit ON conflict_decisions (hit_id, id);

CREATE TRIGGER conflict_checks_no_update BEFORE UPDATE ON conflict_checks
BEGIN SELECT RAISE(ABORT, 'conflict checks are permanent'); END;
CREATE TRIGGER conflict_checks_no_delete BEFORE DELETE ON conflict_checks
BEGIN SELECT RAISE(ABORT, 'conflict checks are permanent'); END;
CREATE TRIGGER conflict_check_names_no_update BEFORE UPDATE ON conflict_check_names
BEGIN SELECT RAISE(ABORT, 'conflict checks are permanent'); END;
CREATE TRIGGER conflict_check_names_no_delete BEFORE DELETE ON conflict_check_names
BEGIN SELECT RAISE(ABORT, 'conflict checks are permanent'); END;
CREATE TRIGGER conflict_hits_no_update BEFORE UPDATE ON conflict_hits
BEGIN SELECT RAISE(ABORT, 'conflict checks are permanent'); END;
CREATE TRIGGER conflict_hits_no_delete BEFORE DELETE ON conflict_hits
BEGIN SELECT RAISE(ABORT, 'conflict checks are permanent'); END;
CREATE TRIGGER conflict_decisions_no_update BEFORE UPDATE ON conflict_decisions
BEGIN SELECT RAISE(ABORT, 'conflict decisions are permanent: record a new one'); END;
CREATE TRIGGER conflict_decisions_no_delete BEFORE DELETE ON conflict_decisions
BEGIN SELECT RAISE(ABORT, 'conflict decisions are permanent: record a new one'); END;

-- The check a matter was opened under.
ALTER TABLE matters ADD COLUMN conflict_check_id INTEGER REFERENCES conflict_checks (id);
CREATE UNIQUE INDEX matters_conflict_check ON matters (conflict_check_id)
    WHERE conflict_check_id IS NOT NULL;

-- Prospective clients (Rule 1.18): a check saved as a prospect.
CREATE TABLE conflict_prospects (
    id         INTEGER PRIMARY KEY,
    check_id   INTEGER NOT NULL REFERENCES conflict_checks (id),
    name       TEXT NOT NULL CHECK (length(trim(name)) > 0),
    kind       TEXT NOT NULL CHECK (kind IN ('person', 'organization', 'unknown')),
    created_at TEXT NOT NULL
) STRICT;

-- Names of destroyed matters (their client, aliases and parties), kept
-- for conflict checks while the setting keep_conflict_names is on.
CREATE TABLE conflict_kept_names (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL CHECK (length(trim(name)) > 0),
    kind          TEXT NOT NULL CHECK (kind IN ('person', 'organization', 'unknown')),
    side          TEXT NOT NULL CHECK (side IN ('client', 'adverse', 'related')),
    party_role    TEXT NOT NULL DEFAULT '',
    aliases       TEXT NOT NULL DEFAULT '[]',
    -- The client's id (for its own name and the matter's parties): a
    -- client that still exists is no conflict with itself.
    client_id     INTEGER,
    matter_number TEXT NOT NULL,
    opened_on     TEXT,
    closed_on     TEXT,
    destroyed_on  TEXT NOT NULL
) STRICT;

-- Common parties (courts, agencies) whose hits are recorded but need no
-- decision.
CREATE TABLE conflict_common_parties (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    added_at TEXT NOT NULL
) STRICT;
"#,
    },
    Migration {
        version: 13,
        description: "consent records: verbatim scope with its hash, clients, matters, evidence, append-only history",
        sql: r#"
-- One consent. Its kind, scope (verbatim, with its SHA-256) and the risks
-- explained are written once: scope and risks may be empty while the
-- consent is only requested and are then filled once; a changed scope is
-- a new consent that supersedes this one.
CREATE TABLE consents (
    id                   INTEGER PRIMARY KEY,
    kind                 TEXT NOT NULL CHECK (kind IN ('confidentiality_disclosure', 'conflict_waiver',
                             'advance_waiver', 'third_party_service', 'gdpr_processing',
                             'email_communication', 'other')),
    label                TEXT NOT NULL DEFAULT '',
    scope                TEXT,
    scope_sha256         TEXT,
    risks                TEXT,
    supersedes           INTEGER REFERENCES consents (id),
    -- The "waiver needed" decision a conflict waiver was drafted for.
    conflict_decision_id INTEGER REFERENCES conflict_decisions (id),
    created_by           TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    CHECK ((scope IS NULL) = (scope_sha256 IS NULL))
) STRICT;
CREATE INDEX consents_decision ON consents (conflict_decision_id) WHERE conflict_decision_id IS NOT NULL;
CREATE INDEX consents_supersedes ON consents (supersedes) WHERE supersedes IS NOT NULL;
CREATE TRIGGER consents_written_once BEFORE UPDATE ON consents
WHEN OLD.kind IS NOT NEW.kind OR OLD.label IS NOT NEW.label
  OR (OLD.scope IS NOT NULL AND NEW.scope IS NOT OLD.scope)
  OR (OLD.scope_sha256 IS NOT NULL AND NEW.scope_sha256 IS NOT OLD.scope_sha256)
  OR (OLD.risks IS NOT NULL AND NEW.risks IS NOT OLD.risks)
  OR OLD.supersedes IS NOT NEW.supersedes
  OR OLD.conflict_decision_id IS NOT NEW.conflict_decision_id
  OR OLD.created_by IS NOT NEW.created_by OR OLD.created_at IS NOT NEW.created_at
BEGIN SELECT RAISE(ABORT, 'a consent''s recorded text is permanent: record a new consent that supersedes it'); END;
CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents
BEGIN SELECT RAISE(ABORT, 'consents are permanent'); END;

-- The clients, matters and evidence documents a consent names (no
-- foreign key to them: the record outlives a destroyed client, matter or
-- document; the matter's number is kept).
CREATE TABLE consent_clients (
    consent_id INTEGER NOT NULL REFERENCES consents (id),
    client_id  INTEGER NOT NULL,
    PRIMARY KEY (consent_id, client_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX consent_clients_client ON consent_clients (client_id);
CREATE TABLE consent_matters (
    consent_id    INTEGER NOT NULL REFERENCES consents (id),
    matter_id     INTEGER NOT NULL,
    matter_number TEXT NOT NULL,
    PRIMARY KEY (consent_id, matter_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE consent_documents (
    consent_id  INTEGER NOT NULL REFERENCES consents (id),
    document_id INTEGER NOT NULL,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (consent_id, document_id)
) STRICT, WITHOUT ROWID;

-- The history: every change appended; the newest row's state is the
-- consent's state.
CREATE TABLE consent_events (
    id          INTEGER PRIMARY KEY,
    consent_id  INTEGER NOT NULL REFERENCES consents (id),
    action      TEXT NOT NULL CHECK (action IN ('requested', 'given', 'confirmed', 'withdrawn',
                    'expired', 'superseded', 'reviewed')),
    from_state  TEXT,
    to_state    TEXT NOT NULL CHECK (to_state IN ('requested', 'given', 'confirmed', 'withdrawn',
                    'expired', 'superseded')),
    on_date     TEXT NOT NULL,
    method      TEXT CHECK (method IN ('signed_letter', 'email', 'oral')),
    reason      TEXT NOT NULL DEFAULT '',
    -- Set by "given" and "reviewed": the next review date.
    review_on   TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) STRICT;
CREATE INDEX consent_events_consent ON consent_events (consent_id, id);
CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent history is permanent: record a new change'); END;
CREATE TRIGGER consent_events_no_delete BEFORE DELETE ON consent_events
BEGIN SELECT RAISE(ABORT, 'consent history is permanent: record a new change'); END;
"#,
    },
    Migration {
        version: 14,
        description: "data-subject requests (GDPR Art. 12-22): requests, status history, pauses, extension, found items, marks, erasure assessments",
        sql: r#"
CREATE TABLE dsr_requests (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('access', 'rectification', 'erasure', 'restriction', 'portability', 'objection')),
    requester   TEXT NOT NULL CHECK (length(trim(requester)) > 0),
    relation    TEXT NOT NULL CHECK (relation IN ('client', 'opposing_party', 'employee', 'other')),
    -- Other spellings the requester gave (JSON array of strings).
    also_known  TEXT NOT NULL DEFAULT '[]',
    received_on TEXT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;

-- Status history: appended, never changed; the newest row is in force.
CREATE TABLE dsr_status (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES dsr_requests (id),
    status     TEXT NOT NULL CHECK (status IN ('received', 'identity_check', 'awaiting_clarification',
                   'in_progress', 'answered', 'refused', 'withdrawn')),
    note       TEXT NOT NULL DEFAULT '',
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
) STRICT;
CREATE INDEX dsr_status_request ON dsr_status (request_id, id);

-- Clock stops: from the day the controller asked (identity, clarification)
-- to the day the answer came (NULL while waiting).
CREATE TABLE dsr_pauses (
    id         INTEGER PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES dsr_requests (id),
    reason     TEXT NOT NULL CHECK (reason IN ('identity_check', 'clarification')),
    from_on    TEXT NOT NULL,
    until_on   TEXT,
    CHECK (until_on IS NULL OR until_on >= from_on)
) STRICT;
CREATE INDEX dsr_pauses_request ON dsr_pauses (request_id, id);

CREATE TABLE dsr_extensions (
    request_id   INTEGER PRIMARY KEY REFERENCES dsr_requests (id),
    months       INTEGER NOT NULL CHECK (months IN (1, 2)),
    announced_on TEXT NOT NULL,
    reasons      TEXT NOT NULL CHECK (length(trim(reasons)) > 0)
) STRICT;

-- What "find everything about this person" found; kept across re-runs.
CREATE TABLE dsr_items (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL REFERENCES dsr_requests (id),
    number        INTEGER NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('client', 'party', 'prospect', 'destroyed', 'note', 'document')),
    ref_key       TEXT NOT NULL,
    label         TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '',
    client_id     INTEGER,
    matter_id     INTEGER,
    matter_number TEXT,
    document_id   INTEGER,
    found_at      TEXT NOT NULL,
    UNIQUE (request_id, ref_key),
    UNIQUE (request_id, number)
) STRICT;

-- Disclose / withhold marks: appended; the newest for an item is in force.
CREATE TABLE dsr_marks (
    id        INTEGER PRIMARY KEY,
    item_id   INTEGER NOT NULL REFERENCES dsr_items (id),
    mark      TEXT NOT NULL CHECK (mark IN ('disclose', 'withhold')),
    reason    TEXT CHECK (reason IN ('privilege', 'art15_4', 'legal_claims')),
    note      TEXT NOT NULL DEFAULT '',
    marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    CHECK ((mark = 'withhold') = (reason IS NOT NULL))
) STRICT;
CREATE INDEX dsr_marks_item ON dsr_marks (item_id, id);

-- Erasure assessments (Art. 17(3)): one row per matter or document looked at.
CREATE TABLE dsr_erasure (
    id            INTEGER PRIMARY KEY,
    request_id    INTEGER NOT NULL REFERENCES dsr_requests (id),
    assessed_at   TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('matter', 'document')),
    target_id     INTEGER NOT NULL,
    label         TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('erasable', 'refused', 'needs_policy', 'destroyed')),
    basis         TEXT NOT NULL DEFAULT '',
    possible_from TEXT
) STRICT;
CREATE INDEX dsr_erasure_request ON dsr_erasure (request_id, id);

CREATE TRIGGER dsr_status_no_update BEFORE UPDATE ON dsr_status
BEGIN SELECT RAISE(ABORT, 'request status history is permanent'); END;
CREATE TRIGGER dsr_status_no_delete BEFORE DELETE ON dsr_status
BEGIN SELECT RAISE(ABORT, 'request status history is permanent'); END;
CREATE TRIGGER dsr_marks_no_update BEFORE UPDATE ON dsr_marks
BEGIN SELECT RAISE(ABORT, 'marks are permanent: record a new one'); END;
CREATE TRIGGER dsr_marks_no_delete BEFORE DELETE ON dsr_marks
BEGIN SELECT RAISE(ABORT, 'marks are permanent: record a new one'); END;
"#,
    },
    Migration {
        version: 15,
        description: "incident register: incidents, their timeline, notices sent (permanent), reference counters",
        sql: r#"
-- Incidents (data breaches). Devices and deadline rules are JSON arrays of
-- ids; times are RFC 3339 UTC.
CREATE TABLE breaches (
    id              INTEGER PRIMARY KEY,
    reference       TEXT NOT NULL UNIQUE,
    title           TEXT NOT NULL CHECK (length(trim(title)) > 0),
    kind            TEXT NOT NULL CHECK (kind IN ('confidentiality', 'integrity', 'availability')),
    cause           TEXT NOT NULL CHECK (cause IN ('lost_device', 'stolen_device', 'misdirected_email',
                        'misdirected_package', 'unauthorised_access', 'malware', 'other')),
    happened_from   TEXT NOT NULL,
    happened_to     TEXT NOT NULL,
    aware_at        TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    devices         TEXT NOT NULL DEFAULT '[]',
    rules           TEXT NOT NULL DEFAULT '[]',
    rules_version   TEXT NOT NULL,
    likelihood      TEXT CHECK (likelihood IN ('low', 'medium', 'high')),
    severity        TEXT CHECK (severity IN ('low', 'medium', 'high')),
    risk_rationale  TEXT NOT NULL DEFAULT '',
    decision        TEXT CHECK (decision IN ('notify', 'do_not_notify')),
    decision_reason TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('open', 'contained', 'notified', 'closed')),
    delay_reasons   TEXT NOT NULL DEFAULT '',
    lessons         TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

-- The last reference number given each year: it only goes up, so a
-- number is never given twice.
CREATE TABLE breach_counters (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL CHECK (last > 0)
) STRICT;
CREATE TRIGGER breach_counters_no_decrease BEFORE UPDATE ON breach_counters
WHEN NEW.last <= OLD.last
BEGIN SELECT RAISE(ABORT, 'incident numbers are never reused'); END;
CREATE TRIGGER breach_counters_no_delete BEFORE DELETE ON breach_counters
BEGIN SELECT RAISE(ABORT, 'incident numbers are never reused'); END;

-- The incident's timeline of events.
CREATE TABLE breach_events (
    id          INTEGER PRIMARY KEY,
    breach_id   INTEGER NOT NULL REFERENCES breaches (id),
    at          TEXT NOT NULL,
    description TEXT NOT NULL CHECK (length(trim(description)) > 0),
    recorded_at TEXT NOT NULL
) STRICT;
CREATE INDEX breach_events_breach ON breach_events (breach_id, at);

-- Notices sent, verbatim with the SHA-256 of the text; permanent.
CREATE TABLE breach_notices (
    id            INTEGER PRIMARY KEY,
    breach_id     INTEGER NOT NULL REFERENCES breaches (id),
    audience      TEXT NOT NULL CHECK (audience IN ('authority', 'client', 'data_subject')),
    rule          TEXT,
    recipient     TEXT NOT NULL CHECK (length(trim(recipient)) > 0),
    channel       TEXT NOT NULL CHECK (length(trim(channel)) > 0),
    sent_at       TEXT NOT NULL,
    text          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    delay_reasons TEXT NOT NULL DEFAULT '',
    recorded_by   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
) STRICT;
CREATE INDEX breach_notices_breach ON breach_notices (breach_id, sent_at);
CREATE TRIGGER breach_notices_no_update BEFORE UPDATE ON breach_notices
BEGIN SELECT RAISE(ABORT, 'notices sent are permanent'); END;
CREATE TRIGGER breach_notices_no_delete BEFORE DELETE ON breach_notices
BEGIN SELECT RAISE(ABORT, 'notices sent are permanent'); END;
"#,
    },
    Migration {
        version: 16,
        description: "practice policies with versions and acknowledgements, training sessions (all permanent)",
        sql: r#"
-- Written policies of the practice; a policy is reviewed every
-- review_months after its newest version took effect.
CREATE TABLE practice_policies (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL CHECK (length(trim(title)) > 0),
    topic         TEXT NOT NULL CHECK (length(trim(topic)) > 0),
    review_months INTEGER NOT NULL CHECK (review_months BETWEEN 1 AND 120),
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

-- Each version's text, kept verbatim; versions are never changed.
CREATE TABLE policy_versions (
    id           INTEGER PRIMARY KEY,
    policy_id    INTEGER NOT NULL REFERENCES practice_policies (id),
    version      INTEGER NOT NULL CHECK (version >= 1),
    effective_on TEXT NOT NULL,
    text         TEXT NOT NULL,
    -- A vault document holding the signed text; no foreign key, as
    -- retention may destroy it (the text stays here).
    document_id  INTEGER,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    UNIQUE (policy_id, version)
) STRICT;
CREATE TRIGGER policy_versions_no_update BEFORE UPDATE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy versions are permanent: add a new version'); END;
CREATE TRIGGER policy_versions_no_delete BEFORE DELETE ON policy_versions
BEGIN SELECT RAISE(ABORT, 'policy versions are permanent: add a new version'); END;

-- Who acknowledged which version, and when; permanent.
CREATE TABLE policy_acks (
    id           INTEGER PRIMARY KEY,
    version_id   INTEGER NOT NULL REFERENCES policy_versions (id),
    person       TEXT NOT NULL CHECK (length(trim(person)) > 0),
    acknowledged_on TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    UNIQUE (version_id, person)
) STRICT;
CREATE TRIGGER policy_acks_no_update BEFORE UPDATE ON policy_acks
BEGIN SELECT RAISE(ABORT, 'acknowledgements are permanent'); END;
CREATE TRIGGER policy_acks_no_delete BEFORE DELETE ON policy_acks
BEGIN SELECT RAISE(ABORT, 'acknowledgements are permanent'); END;

-- Training sessions, who attended, the materials (vault documents, no
-- foreign key: retention may destroy one).
CREATE TABLE trainings (
    id          INTEGER PRIMARY KEY,
    topic       TEXT NOT NULL CHECK (length(trim(topic)) > 0),
    held_on     TEXT NOT NULL,
    notes       TEXT NOT NULL DEFAULT '',
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
) STRICT;
CREATE TABLE training_attendees (
    training_id INTEGER NOT NULL REFERENCES trainings (id),
    person      TEXT NOT NULL CHECK (length(trim(person)) > 0),
    PRIMARY KEY (training_id, person)
) STRICT;
CREATE TABLE training_materials (
    training_id INTEGER NOT NULL REFERENCES trainings (id),
    document_id INTEGER NOT NULL,
    PRIMARY KEY (training_id, document_id)
) STRICT;
"#,
    },
    Migration {
        version: 17,
        description: "share packages with the documents in each, recipients' age keys, the vault's signing key",
        sql: r#"
-- The vault's key for signing package manifests (Ed25519, minisign's
-- format): made once, kept only here, inside the encrypted database.
CREATE TABLE signing_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    secret     BLOB NOT NULL,
    public_key TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE TRIGGER signing_key_no_update BEFORE UPDATE ON signing_key
BEGIN SELECT RAISE(ABORT, 'the signing key is permanent'); END;
CREATE TRIGGER signing_key_no_delete BEFORE DELETE ON signing_key
BEGIN SELECT RAISE(ABORT, 'the signing key is permanent'); END;

-- Recipients' age public keys, kept with a client or a matter's party.
-- A new key for the same holder replaces the old one (replaced_at); a key
-- is confirmed (its fingerprint read back by phone) before its first use.
CREATE TABLE recipient_keys (
    id           INTEGER PRIMARY KEY,
    client_id    INTEGER REFERENCES clients (id),
    party_id     INTEGER REFERENCES matter_parties (id),
    public_key   TEXT NOT NULL CHECK (public_key LIKE 'age1%'),
    fingerprint  TEXT NOT NULL,
    added_by     TEXT NOT NULL,
    added_at     TEXT NOT NULL,
    confirmed_by TEXT,
    confirmed_at TEXT,
    replaced_at  TEXT,
    CHECK ((client_id IS NULL) <> (party_id IS NULL))
) STRICT;
CREATE INDEX recipient_keys_client ON recipient_keys (client_id);
CREATE INDEX recipient_keys_party ON recipient_keys (party_id);

-- Every package that left the vault. Permanent: this is the record of
-- what was shared with whom. No foreign keys to documents, matters or
-- clients: retention may destroy them, the record stays.
CREATE TABLE shares (
    id               INTEGER PRIMARY KEY,
    package_id       TEXT NOT NULL UNIQUE,
    client_id        INTEGER NOT NULL,
    format           TEXT NOT NULL CHECK (format IN ('age', 'zip')),
    protection       TEXT NOT NULL CHECK (protection IN ('passphrase_words', 'passphrase_random', 'age_key')),
    hide_names       INTEGER NOT NULL CHECK (hide_names IN (0, 1)),
    recipient        TEXT NOT NULL,
    recipient_key_id INTEGER,
    recipient_key    TEXT,
    file_path        TEXT NOT NULL,
    package_sha256   TEXT NOT NULL,
    package_size     INTEGER NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL
) STRICT;
CREATE INDEX shares_client ON shares (client_id, created_at);
CREATE TRIGGER shares_no_update BEFORE UPDATE ON shares
BEGIN SELECT RAISE(ABORT, 'shares are permanent'); END;
CREATE TRIGGER shares_no_delete BEFORE DELETE ON shares
BEGIN SELECT RAISE(ABORT, 'shares are permanent'); END;

CREATE TABLE share_documents (
    share_id    INTEGER NOT NULL REFERENCES shares (id),
    position    INTEGER NOT NULL,
    document_id INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    matter_id   INTEGER NOT NULL,
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    PRIMARY KEY (share_id, position)
) STRICT;
CREATE INDEX share_documents_matter ON share_documents (matter_id);
CREATE INDEX share_documents_document ON share_documents (document_id);
CREATE TRIGGER share_documents_no_update BEFORE UPDATE ON share_documents
BEGIN SELECT RAISE(ABORT, 'shares are permanent'); END;
CREATE TRIGGER share_documents_no_delete BEFORE DELETE ON share_documents
BEGIN SELECT RAISE(ABORT, 'shares are permanent'); END;
"#,
    },
    Migration {
        version: 18,
        description: "saved searches",
        sql: r#"
-- Searches kept by name, per vault; the query is what the user typed.
CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    query      TEXT NOT NULL CHECK (length(trim(query)) > 0),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
"#,
    },
    Migration {
        version: 19,
        description: "conflict checks: documents that mention a searched name",
        sql: r#"
-- The lower tier of a conflict check (#16 §1): for each searched name, how
-- many documents mention it (text or recognised text), and the first
-- ones with where and why. Copied at the check, like its hits, so the
-- record stays true after a document is renamed or destroyed; no text of
-- a document is kept (only its title, like the destruction register).
CREATE TABLE conflict_document_counts (
    check_id INTEGER NOT NULL REFERENCES conflict_checks (id),
    searched INTEGER NOT NULL,
    total    INTEGER NOT NULL CHECK (total >= 0),
    -- The name is a common party: its documents were not searched.
    common   INTEGER NOT NULL DEFAULT 0 CHECK (common IN (0, 1)),
    PRIMARY KEY (check_id, searched)
) STRICT, WITHOUT ROWID;

CREATE TABLE conflict_document_hits (
    id            INTEGER PRIMARY KEY,
    check_id      INTEGER NOT NULL REFERENCES conflict_checks (id),
    position      INTEGER NOT NULL,
    searched      INTEGER NOT NULL,
    document_id   INTEGER NOT NULL,
    title         TEXT NOT NULL,
    matter_id     INTEGER NOT NULL,
    matter_number TEXT NOT NULL,
    client_id     INTEGER NOT NULL,
    client_name   TEXT NOT NULL,
    -- The page of a scan whose recognised text shows the name best.
    page          INTEGER,
    why           TEXT NOT NULL,
    UNIQUE (check_id, position)
) STRICT;

-- Decisions on document hits are appended like those on name hits; a
-- mention is decided no conflict or conflict (a waiver is drafted from a
-- name hit).
CREATE TABLE conflict_document_decisions (
    id         INTEGER PRIMARY KEY,
    hit_id     INTEGER NOT NULL REFERENCES conflict_document_hits (id),
    decision   TEXT NOT NULL CHECK (decision IN ('no_conflict', 'conflict')),
    reason     TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL
) STRICT;
CREATE INDEX conflict_document_decisions_hit ON conflict_document_decisions (hit_id, id);

CREATE TRIGGER conflict_document_counts_no_update BEFORE UPDATE ON conflict_document_counts
BEGIN SELECT RAISE(ABORT, 'conflict checks are permanent'); END;
CREATE TRIGGER conflict_document_counts_no_delete BEFORE DELETE ON conflict_document_counts
BEGIN SELECT RAISE(ABORT, 'conflict checks are permanent'); END;
CREATE TRIGGER conflict_document_hits_no_update BEFORE UPDATE ON conflict_document_hits
BEGIN SELECT RAISE(ABORT, 'conflict checks are permanent'); END;
CREATE TRIGGER conflict_document_hits_no_delete BEFORE DELETE ON conflict_document_hits
BEGIN SELECT RAISE(ABORT, 'conflict checks are permanent'); END;
CREATE TRIGGER conflict_document_decisions_no_update BEFORE UPDATE ON conflict_document_decisions
BEGIN SELECT RAISE(ABORT, 'conflict decisions are permanent: record a new one'); END;
CREATE TRIGGER conflict_document_decisions_no_delete BEFORE DELETE ON conflict_document_decisions
BEGIN SELECT RAISE(ABORT, 'conflict decisions are permanent: record a new one'); END;
"#,
    },
    Migration {
        version: 20,
        description: "returned files (#18 §3): which shares returned which matters",
        sql: r#"
-- A share that returned a client's file (Model Rule 1.16(d)): one row per
-- matter returned, whole (every current document, or every version), with
-- its parties and timeline. Permanent like the share it marks; no foreign
-- key to matters (retention may destroy them, the record stays).
CREATE TABLE file_returns (
    share_id     INTEGER NOT NULL REFERENCES shares (id),
    matter_id    INTEGER NOT NULL,
    scope        TEXT NOT NULL CHECK (scope IN ('matter', 'client')),
    all_versions INTEGER NOT NULL CHECK (all_versions IN (0, 1)),
    PRIMARY KEY (share_id, matter_id)
) STRICT;
CREATE INDEX file_returns_matter ON file_returns (matter_id);
CREATE TRIGGER file_returns_no_update BEFORE UPDATE ON file_returns
BEGIN SELECT RAISE(ABORT, 'returns are permanent'); END;
CREATE TRIGGER file_returns_no_delete BEFORE DELETE ON file_returns
BEGIN SELECT RAISE(ABORT, 'returns are permanent'); END;
"#,
    },
    Migration {
        version: 21,
        description: "court bundles: shares may be unencrypted PDFs (format 'pdf', protection 'none')",
        sql: r#"
-- rebuild: foreign keys off
-- SQLite cannot change a CHECK in place: the table is rebuilt by its
-- documented procedure (https://sqlite.org/lang_altertable.html#otheralter),
-- with foreign keys off around the transaction (see migrate_to), every
-- row kept with its id, so share_documents' references still hold, and
-- the permanence triggers and the index made again.
CREATE TABLE shares_new (
    id               INTEGER PRIMARY KEY,
    package_id       TEXT NOT NULL UNIQUE,
    client_id        INTEGER NOT NULL,
    format           TEXT NOT NULL CHECK (format IN ('age', 'zip', 'pdf')),
    protection       TEXT NOT NULL CHECK (protection IN ('passphrase_words', 'passphrase_random', 'age_key', 'none')),
    hide_names       INTEGER NOT NULL CHECK (hide_names IN (0, 1)),
    recipient        TEXT NOT NULL,
    recipient_key_id INTEGER,
    recipient_key    TEXT,
    file_path        TEXT NOT NULL,
    package_sha256   TEXT NOT NULL,
    package_size     INTEGER NOT NULL,
    created_by       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    -- Only a court bundle is unprotected, and it is always a PDF.
    CHECK ((format = 'pdf') = (protection = 'none'))
) STRICT;
INSERT INTO shares_new (id, package_id, client_id, format, protection, hide_names, recipient,
        recipient_key_id, recipient_key, file_path, package_sha256, package_size, created_by, created_at)
    SELECT id, package_id, client_id, format, protection, hide_names, recipient,
        recipient_key_id, recipient_key, file_path, package_sha256, package_size, created_by, created_at
    FROM shares;
DROP TABLE shares;
ALTER TABLE shares_new RENAME TO shares;
CREATE INDEX shares_client ON shares (client_id, created_at);
CREATE TRIGGER shares_no_update BEFORE UPDATE ON shares
BEGIN SELECT RAISE(ABORT, 'shares are permanent'); END;
CREATE TRIGGER shares_no_delete BEFORE DELETE ON shares
BEGIN SELECT RAISE(ABORT, 'shares are permanent'); END;
"#,
    },
    Migration {
        version: 22,
        description: "search accelerator: its key per generation, and the log of documents whose index entry changed",
        sql: r#"
-- The accelerator (crates/textindex) is a Tantivy index beside the
-- database, derived from document_search and rebuildable from it. Each
-- generation of it is a folder sealed under its own random key, kept
-- here: deleting the row (secure_delete zeroes it) makes the folder
-- unreadable, which is how a destruction takes words out of it.
CREATE TABLE search_index_keys (
    -- Never reused: a new generation never meets an old one's folder.
    generation INTEGER PRIMARY KEY AUTOINCREMENT,
    key        BLOB NOT NULL CHECK (length(key) = 32),
    created_at TEXT NOT NULL
) STRICT;
-- Every change to a document's index entry or to what filters it (matter,
-- client, trash, date, tags) appends its id here, in the same transaction
-- as the change; the accelerator's commits say up to which seq (and that
-- row's stamp, so a database restored from a backup is never taken for
-- the one the index followed) they hold.
CREATE TABLE search_changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL,
    stamp       INTEGER NOT NULL DEFAULT (random())
) STRICT;
CREATE TRIGGER search_changes_document AFTER UPDATE OF matter_id, trashed_at, created_at ON documents
BEGIN INSERT INTO search_changes (document_id) VALUES (NEW.id); END;
CREATE TRIGGER search_changes_document_gone AFTER DELETE ON documents
BEGIN INSERT INTO search_changes (document_id) VALUES (OLD.id); END;
CREATE TRIGGER search_changes_tag_added AFTER INSERT ON document_tags
BEGIN INSERT INTO search_changes (document_id) VALUES (NEW.document_id); END;
CREATE TRIGGER search_changes_tag_removed AFTER DELETE ON document_tags
BEGIN INSERT INTO search_changes (document_id) VALUES (OLD.document_id); END;
CREATE TRIGGER search_changes_matter_client AFTER UPDATE OF client_id ON matters
WHEN OLD.client_id != NEW.client_id
BEGIN INSERT INTO search_changes (document_id) SELECT id FROM documents WHERE matter_id = NEW.id; END;
"#,
    },
];

pub const LATEST_VERSION: i64 = 22;

/// Brings the database to `target`, running each missing migration in its
/// own transaction. Refuses a database newer than this build.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<(), StoreError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > LATEST_VERSION {
        return Err(StoreError::NewerSchema {
            found: current,
            known: LATEST_VERSION,
        });
    }
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > current && m.version <= target)
    {
        // A migration that rebuilds a table runs with foreign keys off, as
        // SQLite's table-rebuild procedure asks (the pragma does nothing
        // inside a transaction), and checks them before it commits.
        let rebuild = m.rebuilds_tables();
        if rebuild {
            conn.execute_batch("PRAGMA foreign_keys = OFF")?;
        }
        let run = (|| -> Result<(), StoreError> {
            let tx = conn.transaction()?;
            tx.execute_batch(m.sql)?;
            if rebuild {
                let broken: i64 =
                    tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                        r.get(0)
                    })?;
                if broken > 0 {
                    return Err(StoreError::ForeignKeys { version: m.version });
                }
            }
            tx.execute_batch(&format!("PRAGMA user_version = {}", m.version))?;
            tx.commit()?;
            Ok(())
        })();
        if rebuild {
            conn.execute_batch("PRAGMA foreign_keys = ON")?;
        }
        run?;
    }
    Ok(())
}

/// The first line a table-rebuilding migration's SQL carries.
const REBUILD_MARKER: &str = "-- rebuild: foreign keys off";

impl Migration {
    /// Whether this migration rebuilds a table (and so runs with foreign
    /// keys off around its transaction).
    pub fn rebuilds_tables(&self) -> bool {
        self.sql.trim_start().starts_with(REBUILD_MARKER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use matterbox_vault::DerivedKey;

    #[test]
    fn versions_are_consecutive_and_end_at_latest() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.description);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(LATEST_VERSION));
    }

    #[test]
    fn a_vault_made_at_version_1_is_upgraded_on_open_with_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let key = DerivedKey::from_bytes([3; 32]);
        {
            let mut conn = crate::open_unmigrated(&path, &key, true).unwrap();
            migrate_to(&mut conn, 1).unwrap();
            conn.execute_batch(
                "INSERT INTO clients (kind, name, created_at, updated_at)
                     VALUES ('person', 'Ada Fictional', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z');
                 INSERT INTO matters (number, title, client_id, status, opened_on, closed_on, created_at, updated_at)
                     VALUES ('2024-0001', 'Estate of A. Fictional', 1, 'closed', '2024-01-02', '2024-06-30',
                             '2024-01-02T00:00:00Z', '2024-06-30T00:00:00Z'),
                            ('2024-0002', 'Lease review', 1, 'open', '2024-02-01', NULL,
                             '2024-02-01T00:00:00Z', '2024-02-01T00:00:00Z');",
            )
            .unwrap();
            assert_eq!(crate::schema_version(&conn).unwrap(), 1);
        }
        let conn = crate::open(&path, &key).unwrap();
        assert_eq!(crate::schema_version(&conn).unwrap(), LATEST_VERSION);
        let titles: i64 = conn
            .query_row("SELECT count(*) FROM matters", [], |r| r.get(0))
            .unwrap();
        assert_eq!(titles, 2);
        let mut stmt = conn
            .prepare("SELECT m.number, e.kind, e.occurred_on FROM matter_events e JOIN matters m ON m.id = e.matter_id ORDER BY m.number, e.occurred_on")
            .unwrap();
        let events: Vec<(String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            events,
            [
                ("2024-0001".into(), "opened".into(), "2024-01-02".into()),
                ("2024-0001".into(), "closed".into(), "2024-06-30".into()),
                ("2024-0002".into(), "opened".into(), "2024-02-01".into()),
            ]
        );
        // Opening again runs nothing twice.
        drop(stmt);
        drop(conn);
        let conn = crate::open(&path, &key).unwrap();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM matter_events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 3);
    }

    #[test]
    fn the_shares_rebuild_keeps_rows_references_and_permanence_and_admits_court_bundles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.db");
        let key = DerivedKey::from_bytes([5; 32]);
        let before = MIGRATIONS
            .iter()
            .rev()
            .find(|m| m.rebuilds_tables())
            .map(|m| m.version - 1)
            .unwrap();
        {
            let mut conn = crate::open_unmigrated(&path, &key, true).unwrap();
            conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
            migrate_to(&mut conn, before).unwrap();
            conn.execute_batch(
                "INSERT INTO shares (id, package_id, client_id, format, protection, hide_names, recipient,
                     file_path, package_sha256, package_size, created_by, created_at)
                     VALUES (7, 'p7', 1, 'zip', 'passphrase_words', 1, 'R', '/x', 'ab', 10, 'me', '2026-01-01T00:00:00Z');
                 INSERT INTO share_documents (share_id, position, document_id, version, matter_id, name, size, sha256)
                     VALUES (7, 0, 3, 1, 2, 'a.pdf', 5, 'cd');",
            )
            .unwrap();
        }
        let conn = crate::open(&path, &key).unwrap();
        let get = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            get("SELECT count(*) FROM shares WHERE id = 7 AND hide_names = 1"),
            1
        );
        assert_eq!(
            get("SELECT count(*) FROM share_documents WHERE share_id = 7"),
            1
        );
        assert_eq!(get("PRAGMA foreign_keys"), 1);
        assert_eq!(get("SELECT count(*) FROM pragma_foreign_key_check"), 0);
        conn.execute(
            "INSERT INTO shares (id, package_id, client_id, format, protection, hide_names, recipient,
                 file_path, package_sha256, package_size, created_by, created_at)
                 VALUES (8, 'p8', 1, 'pdf', 'none', 0, 'Court', '/b.pdf', 'ef', 10, 'me', '2026-01-02T00:00:00Z')",
            [],
        )
        .unwrap();
        // Unprotected only as a court bundle PDF.
        assert!(conn.execute(
            "INSERT INTO shares (package_id, client_id, format, protection, hide_names, recipient,
                 file_path, package_sha256, package_size, created_by, created_at)
                 VALUES ('p9', 1, 'zip', 'none', 0, 'R', '/c', 'ef', 1, 'me', 't')",
            [],
        ).is_err());
        assert!(
            conn.execute("UPDATE shares SET recipient = 'x' WHERE id = 7", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM shares WHERE id = 8", []).is_err());
        // The reference to shares still holds after the rename.
        assert!(conn.execute(
            "INSERT INTO share_documents (share_id, position, document_id, version, matter_id, name, size, sha256)
                 VALUES (99, 0, 3, 1, 2, 'a.pdf', 5, 'cd')",
            [],
        ).is_err());
    }

    #[test]
    fn the_audit_log_refuses_edits() {
        let dir = tempfile::tempdir().unwrap();
        let conn =
            crate::create(&dir.path().join("v.db"), &DerivedKey::from_bytes([1; 32])).unwrap();
        conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, object, details, mac) VALUES (1, 't', 'a', 'x', 'o', '{}', x'00')",
            [],
        )
        .unwrap();
        assert!(
            conn.execute("UPDATE audit_log SET actor = 'b'", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    }
}
