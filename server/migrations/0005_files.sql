-- Uploaded files (agents' images and attachments). The id is 128 random bits: the download
-- URL /files/{id}/{name} is a capability, shared with the visitor in the message.
CREATE TABLE files (
    id         TEXT PRIMARY KEY,                 -- 32 lowercase hex; also the file name on disk
    site_id    INTEGER NOT NULL REFERENCES sites(id),
    agent_id   INTEGER REFERENCES agents(id),
    name       TEXT NOT NULL,                    -- sanitised original name (display only)
    mime       TEXT NOT NULL,                    -- from the content's magic bytes, not the client
    kind       INTEGER NOT NULL,                 -- seed 001 file_type: 1 image, 2 voice, 5 video, 6 file
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
