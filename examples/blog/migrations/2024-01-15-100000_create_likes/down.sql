DROP INDEX likes_post_id_user_id_idx;
DROP TABLE likes;
