//! Every query of the blog. Each fn takes the connection it runs on; the ones that write
//! several rows do so in one transaction.
//!
//! Every fn here is `#[db_checked]`, so a query in a loop does not compile. Loading each
//! user's posts one user at a time is the classic N+1: one query for the users, then one more
//! per user.
//!
//! ```compile_fail
//! use blog::models::{Post, User};
//! use blog::schema::users;
//! use dbopt_macros::db_checked;
//! use diesel::prelude::*;
//!
//! #[db_checked]
//! pub fn users_with_posts(conn: &mut SqliteConnection) -> QueryResult<Vec<(User, Vec<Post>)>> {
//!     let all_users = users::table.select(User::as_select()).load(conn)?;
//!     let mut out = Vec::new();
//!     for user in all_users {
//!         // error: query inside a loop: `load` runs once per iteration of the `for` loop
//!         let posts = Post::belonging_to(&user)
//!             .select(Post::as_select())
//!             .load(conn)?;
//!         out.push((user, posts));
//!     }
//!     Ok(out)
//! }
//! ```
//!
//! The batched form, as [`users_with_posts`] does it, is two queries whatever the number of
//! users: `belonging_to` takes the whole slice and `grouped_by` sorts the posts back to their
//! users in memory.
//!
//! ```
//! use blog::models::{Post, User};
//! use blog::schema::users;
//! use dbopt_macros::db_checked;
//! use diesel::prelude::*;
//!
//! #[db_checked]
//! pub fn users_with_posts(conn: &mut SqliteConnection) -> QueryResult<Vec<(User, Vec<Post>)>> {
//!     let all_users = users::table.select(User::as_select()).load(conn)?;
//!     let all_posts = Post::belonging_to(&all_users)
//!         .select(Post::as_select())
//!         .load(conn)?;
//!     let grouped = all_posts.grouped_by(&all_users);
//!     Ok(all_users.into_iter().zip(grouped).collect())
//! }
//! ```
//!
//! A loop that is known to stay small can be allowed, with the reason next to it; the loop
//! above then compiles, which shows that dbopt's finding was its only error.
//!
//! ```
//! # use blog::models::{Post, User};
//! # use blog::schema::users;
//! # use dbopt_macros::db_checked;
//! # use diesel::prelude::*;
//! /// The three most recent authors and their posts (the front page's side bar).
//! #[db_checked]
//! pub fn recent_authors(conn: &mut SqliteConnection) -> QueryResult<Vec<(User, Vec<Post>)>> {
//!     let recent = users::table
//!         .order(users::id.desc())
//!         .limit(3)
//!         .select(User::as_select())
//!         .load(conn)?;
//!     let mut out = Vec::new();
//!     // At most three users: three small queries are fine.
//!     #[dbopt::allow(n_plus_one)]
//!     for user in recent {
//!         let posts = Post::belonging_to(&user)
//!             .select(Post::as_select())
//!             .load(conn)?;
//!         out.push((user, posts));
//!     }
//!     Ok(out)
//! }
//! ```

use dbopt_macros::db_checked;
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::models::{
    Comment, NewComment, NewLike, NewPost, NewTag, NewUser, Post, PostTag, Tag, User,
};
use crate::schema::{comments, likes, post_tags, posts, tags, users};

/// Deletes every row, children first, in one transaction.
#[db_checked]
pub fn clear_all(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::delete(likes::table).execute(conn)?;
        diesel::delete(comments::table).execute(conn)?;
        diesel::delete(post_tags::table).execute(conn)?;
        diesel::delete(tags::table).execute(conn)?;
        diesel::delete(posts::table).execute(conn)?;
        diesel::delete(users::table).execute(conn)?;
        Ok(())
    })
}

/// Inserts the users with one statement and returns them with their ids.
#[db_checked]
pub fn create_users(conn: &mut SqliteConnection, new: &[NewUser<'_>]) -> QueryResult<Vec<User>> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(User::as_returning())
        .get_results(conn)
}

/// Creates a draft post with its tags (creating the tags that do not exist yet), atomically.
#[db_checked]
pub fn create_post(
    conn: &mut SqliteConnection,
    new: &NewPost<'_>,
    tag_names: &[&str],
) -> QueryResult<Post> {
    conn.transaction(|conn| {
        let post = diesel::insert_into(posts::table)
            .values(new)
            .returning(Post::as_returning())
            .get_result(conn)?;
        let new_tags: Vec<NewTag<'_>> = tag_names.iter().map(|&name| NewTag { name }).collect();
        diesel::insert_or_ignore_into(tags::table)
            .values(&new_tags)
            .execute(conn)?;
        let tag_ids: Vec<i32> = tags::table
            .filter(tags::name.eq_any(tag_names))
            .select(tags::id)
            .load(conn)?;
        let links: Vec<PostTag> = tag_ids
            .into_iter()
            .map(|tag_id| PostTag {
                post_id: post.id,
                tag_id,
            })
            .collect();
        diesel::insert_into(post_tags::table)
            .values(&links)
            .execute(conn)?;
        Ok(post)
    })
}

#[db_checked]
pub fn add_comment(conn: &mut SqliteConnection, new: &NewComment<'_>) -> QueryResult<Comment> {
    diesel::insert_into(comments::table)
        .values(new)
        .returning(Comment::as_returning())
        .get_result(conn)
}

/// Records the likes; a user liking the same post twice counts once.
#[db_checked]
pub fn like_posts(conn: &mut SqliteConnection, new: &[NewLike]) -> QueryResult<usize> {
    diesel::insert_or_ignore_into(likes::table)
        .values(new)
        .execute(conn)
}

/// Publishes a post and adds its author's announcement comment, both or neither.
#[db_checked]
pub fn publish_with_announcement(
    conn: &mut SqliteConnection,
    post_id: i32,
    announcement: &str,
) -> QueryResult<Post> {
    conn.transaction(|conn| {
        let post = diesel::update(posts::table.find(post_id))
            .set(posts::published.eq(true))
            .returning(Post::as_returning())
            .get_result(conn)?;
        diesel::insert_into(comments::table)
            .values(&NewComment {
                post_id: post.id,
                user_id: post.user_id,
                body: announcement,
            })
            .execute(conn)?;
        Ok(post)
    })
}

/// Every user with their posts: two queries, whatever the number of users.
#[db_checked(max_queries = 2)]
pub fn users_with_posts(conn: &mut SqliteConnection) -> QueryResult<Vec<(User, Vec<Post>)>> {
    let all_users = users::table
        .order(users::username)
        .limit(100)
        .select(User::as_select())
        .load(conn)?;
    let all_posts = Post::belonging_to(&all_users)
        .order(posts::id)
        .select(Post::as_select())
        .load(conn)?;
    let grouped = all_posts.grouped_by(&all_users);
    Ok(all_users.into_iter().zip(grouped).collect())
}

/// Published posts with their author's name (a join).
#[db_checked]
pub fn published_posts_with_authors(
    conn: &mut SqliteConnection,
) -> QueryResult<Vec<(Post, String)>> {
    posts::table
        .inner_join(users::table)
        .filter(posts::published.eq(true))
        .order(posts::id)
        .limit(50)
        .select((Post::as_select(), users::username))
        .load(conn)
}

/// The comments of each post with the commenter's name, in the order of `posts`.
#[db_checked]
pub fn comments_of(
    conn: &mut SqliteConnection,
    of: &[Post],
) -> QueryResult<Vec<Vec<(Comment, String)>>> {
    let rows = Comment::belonging_to(of)
        .inner_join(users::table)
        .order(comments::id)
        .select((Comment::as_select(), users::username))
        .load::<(Comment, String)>(conn)?;
    Ok(rows.grouped_by(of))
}

/// The tags of each post, in the order of `posts`.
#[db_checked]
pub fn tags_of(conn: &mut SqliteConnection, of: &[Post]) -> QueryResult<Vec<Vec<Tag>>> {
    let rows = PostTag::belonging_to(of)
        .inner_join(tags::table)
        .order(tags::name)
        .select((PostTag::as_select(), Tag::as_select()))
        .load::<(PostTag, Tag)>(conn)?;
    Ok(rows
        .grouped_by(of)
        .into_iter()
        .map(|group| group.into_iter().map(|(_, tag)| tag).collect())
        .collect())
}

/// How many likes each liked post has, most liked first.
#[db_checked]
pub fn like_counts(conn: &mut SqliteConnection) -> QueryResult<Vec<(i32, i64)>> {
    likes::table
        .group_by(likes::post_id)
        .select((likes::post_id, count_star()))
        .order((count_star().desc(), likes::post_id))
        .load(conn)
}

/// The names of the users who liked each post, in the order of `posts`. The join relies on
/// `joinable!(likes -> users (user_id))`, which no foreign key backs.
#[db_checked]
pub fn likers_of(conn: &mut SqliteConnection, of: &[Post]) -> QueryResult<Vec<Vec<String>>> {
    let ids: Vec<i32> = of.iter().map(|post| post.id).collect();
    let rows: Vec<(i32, String)> = likes::table
        .inner_join(users::table)
        .filter(likes::post_id.eq_any(&ids))
        .order((likes::post_id, users::username))
        .select((likes::post_id, users::username))
        .load(conn)?;
    Ok(of
        .iter()
        .map(|post| {
            rows.iter()
                .filter(|(post_id, _)| *post_id == post.id)
                .map(|(_, name)| name.clone())
                .collect()
        })
        .collect())
}
