//! A small Diesel blog on SQLite: dbopt's example and dogfood.
//!
//! `cargo run -p blog` creates the database (`DATABASE_URL`, or `dbopt-blog-example.sqlite3`
//! in the OS temp dir), runs the embedded migrations, replaces the demo data and prints a
//! short summary. Running it again starts over with the same data.
#![allow(clippy::print_stdout, reason = "the example prints its summary")]

use std::error::Error;

use dbopt_macros::db_checked;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use blog::models::{NewComment, NewLike, NewPost, NewUser};
use blog::repo;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

type AnyError = Box<dyn Error + Send + Sync>;

fn database_url() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => std::env::temp_dir()
            .join("dbopt-blog-example.sqlite3")
            .to_string_lossy()
            .into_owned(),
    }
}

fn main() -> Result<(), AnyError> {
    let url = database_url();
    let mut conn = SqliteConnection::establish(&url)
        .map_err(|e| format!("cannot open the SQLite database `{url}`: {e}"))?;
    conn.batch_execute("PRAGMA foreign_keys = ON;")?;
    let applied = conn.run_pending_migrations(MIGRATIONS)?;
    println!("database: {url}");
    println!("migrations applied now: {}", applied.len());

    seed(&mut conn)?;
    summary(&mut conn)?;
    Ok(())
}

/// Replaces whatever an earlier run left with the demo data.
#[db_checked]
fn seed(conn: &mut SqliteConnection) -> Result<(), AnyError> {
    repo::clear_all(conn)?;
    let users = repo::create_users(
        conn,
        &[
            NewUser {
                username: "ada",
                email: "ada@example.com",
                bio: Some("Writes about engines."),
            },
            NewUser {
                username: "grace",
                email: "grace@example.com",
                bio: None,
            },
            NewUser {
                username: "linus",
                email: "linus@example.com",
                bio: None,
            },
        ],
    )?;
    let [ada, grace, linus] = users.as_slice() else {
        return Err("expected three users".into());
    };

    let engines = repo::create_post(
        conn,
        &NewPost {
            user_id: ada.id,
            title: "Notes on the Analytical Engine",
            body: "It weaves algebraic patterns.",
        },
        &["history", "computing"],
    )?;
    let compilers = repo::create_post(
        conn,
        &NewPost {
            user_id: grace.id,
            title: "Why we need compilers",
            body: "Nobody wants to write machine code.",
        },
        &["computing", "languages"],
    )?;
    repo::create_post(
        conn,
        &NewPost {
            user_id: grace.id,
            title: "Draft: debugging moths",
            body: "Not ready yet.",
        },
        &["history"],
    )?;

    repo::publish_with_announcement(conn, engines.id, "Now published, comments welcome.")?;
    repo::publish_with_announcement(conn, compilers.id, "Published at last.")?;
    repo::add_comment(
        conn,
        &NewComment {
            post_id: engines.id,
            user_id: grace.id,
            body: "Lovely notes!",
        },
    )?;
    repo::add_comment(
        conn,
        &NewComment {
            post_id: compilers.id,
            user_id: linus.id,
            body: "Agreed.",
        },
    )?;
    repo::like_posts(
        conn,
        &[
            NewLike {
                post_id: engines.id,
                user_id: grace.id,
            },
            NewLike {
                post_id: engines.id,
                user_id: linus.id,
            },
            NewLike {
                post_id: compilers.id,
                user_id: ada.id,
            },
            // The same like again: ignored by the unique index.
            NewLike {
                post_id: compilers.id,
                user_id: ada.id,
            },
        ],
    )?;
    Ok(())
}

/// Prints the authors, the published posts with their comments, tags and likers, and the
/// like counts: seven queries (`users_with_posts` makes two), whatever the amount of data.
#[db_checked(max_queries = 7)]
fn summary(conn: &mut SqliteConnection) -> Result<(), AnyError> {
    println!();
    println!("authors:");
    for (user, posts) in repo::users_with_posts(conn)? {
        let drafts = posts.iter().filter(|p| !p.published).count();
        println!(
            "  {:<6} {} post(s), {} draft(s){}",
            user.username,
            posts.len(),
            drafts,
            user.bio.map(|b| format!(" - {b}")).unwrap_or_default()
        );
    }

    let published = repo::published_posts_with_authors(conn)?;
    let posts: Vec<_> = published.iter().map(|(post, _)| post.clone()).collect();
    let comments = repo::comments_of(conn, &posts)?;
    let tags = repo::tags_of(conn, &posts)?;
    let likers = repo::likers_of(conn, &posts)?;
    println!();
    println!("published posts:");
    let rows = published.iter().zip(comments).zip(tags).zip(likers);
    for ((((post, author), comments), tags), likers) in rows {
        let tags: Vec<&str> = tags.iter().map(|t| t.name.as_str()).collect();
        println!("  \"{}\" by {author} [{}]", post.title, tags.join(", "));
        for (comment, commenter) in comments {
            println!("    {commenter}: {}", comment.body);
        }
        if !likers.is_empty() {
            println!("    liked by {}", likers.join(", "));
        }
    }

    println!();
    println!("likes per post id:");
    for (post_id, likes) in repo::like_counts(conn)? {
        println!("  post {post_id}: {likes}");
    }
    Ok(())
}
