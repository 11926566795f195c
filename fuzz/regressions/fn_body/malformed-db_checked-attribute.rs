#[db_checked fnn]
ames<C>(conn: &mut C, ids: &[i32]) sers;
#[dbopt allow(n_plus_one)]
fn f() {}
