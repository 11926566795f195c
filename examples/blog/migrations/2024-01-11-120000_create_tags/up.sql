CREATE TABLE tags (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE
);

-- The primary key's index covers post_id, but tag_id is only its second column, so the
-- foreign key on tag_id has no usable index (deliberate problem, dbopt: fk_without_index).
CREATE TABLE post_tags (
    post_id INTEGER NOT NULL REFERENCES posts (id),
    tag_id INTEGER NOT NULL REFERENCES tags (id),
    PRIMARY KEY (post_id, tag_id)
);
