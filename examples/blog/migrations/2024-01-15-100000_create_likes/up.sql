-- Deliberate problem: likes.user_id has no foreign key, yet src/schema.rs declares
-- joinable!(likes -> users (user_id)) (dbopt: joinable_without_fk).
CREATE TABLE likes (
    id INTEGER PRIMARY KEY NOT NULL,
    post_id INTEGER NOT NULL REFERENCES posts (id),
    user_id INTEGER NOT NULL
);

-- One like per user and post; also covers the foreign key on post_id.
CREATE UNIQUE INDEX likes_post_id_user_id_idx ON likes (post_id, user_id);
