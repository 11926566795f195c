#!//x
[allow(dead_code)]
fn f() {}
