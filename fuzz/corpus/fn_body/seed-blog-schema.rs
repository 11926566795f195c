// @generated automatically by Diesel CLI.

diesel::table! {
    comments (id) {
        id -> Integer,
        post_id -> Integer,
        user_id -> Integer,
        body -> Text,
    }
}

diesel::table! {
    likes (id) {
        id -> Integer,
        post_id -> Integer,
        user_id -> Integer,
    }
}

diesel::table! {
    post_tags (post_id, tag_id) {
        post_id -> Integer,
        tag_id -> Integer,
    }
}

diesel::table! {
    posts (id) {
        id -> Integer,
        user_id -> Integer,
        title -> Text,
        body -> Text,
        published -> Bool,
    }
}

diesel::table! {
    tags (id) {
        id -> Integer,
        name -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        email -> Text,
        bio -> Nullable<Text>,
    }
}

diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(comments -> users (user_id));
diesel::joinable!(likes -> posts (post_id));
// Added by hand, NOT generated: the migrations declare no foreign key on likes.user_id, so
// `diesel print-schema` would not print this line. It is the example's deliberate
// `joinable_without_fk` problem.
diesel::joinable!(likes -> users (user_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(post_tags -> tags (tag_id));
diesel::joinable!(posts -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(comments, likes, post_tags, posts, tags, users,);
