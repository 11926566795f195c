-- comments.user_id is indexed properly; comments.post_id is not (deliberate problem,
-- dbopt: fk_without_index).
CREATE TABLE comments (
    id INTEGER PRIMARY KEY NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    body TEXT NOT NULL
);

CREATE INDEX comments_user_id_idx ON comments (user_id);
