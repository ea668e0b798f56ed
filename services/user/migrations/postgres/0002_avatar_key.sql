-- Which stored avatar object belongs to the user (set by an upload, cleared when the user
-- sets avatar_url themselves): deletions go by this key, never by the user-editable URL.
ALTER TABLE users ADD COLUMN avatar_key TEXT;
