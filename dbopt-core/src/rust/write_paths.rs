//! Writes along the paths of a fn, for `write_outside_transaction` (issue 15 §4).
//!
//! A fn's steps ([`Step`]) form a tree: a sequence, alternatives (`if`/`match` arms, the
//! receiver and the `or_else` closure, `#[cfg(..)]` alternatives) and exits (`return`, a
//! diverging macro: what follows is not on that path). Along every path:
//!
//! * the writes add up (a write in a per-row loop counts as [`MANY`]), giving the most
//!   writes one run can commit outside a transaction;
//! * the atomicity bug is a write **whose failure ends the fn** (`?`, `.unwrap()`, `return
//!   Err`, the fn's value) after an earlier write on the same path committed: the fn then
//!   fails having done half its work. Writes whose failure is handled (`.ok()`, `let _ =`,
//!   `if let Err(e) = .. { log }`) were made independent on purpose and are not the bug; a
//!   write in a loop that ends the fn on failure is (its earlier passes committed).
//!
//! The walk keeps, per point of the tree, at most two live states (no write yet, or at
//! least one with the most writes and the first one as witness) and two finished ones, so it
//! is linear in the number of steps.

use crate::rust::callgraph::MANY;
use crate::rust::summary::Step;

/// A write on a path, as the caller's classifier sees a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteEvent {
    /// 1, or [`MANY`] for a write in a per-row loop; a call counts the writes of its callee.
    pub weight: u32,
    /// Its failure ends the fn.
    pub aborts: bool,
}

/// What the paths of a fn show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verdict {
    /// The most writes one path commits (capped at [`MANY`]).
    pub max_writes: u32,
    /// `(earlier write, write whose failure ends the fn after it)`, as indices of the steps
    /// in [`crate::rust::callgraph::flatten`] order; the same index twice for a write in a
    /// loop.
    pub partial: Option<(usize, usize)>,
}

#[derive(Debug, Clone, Copy)]
struct Acc {
    count: u32,
    first: usize,
}

/// Live paths: `none` have committed no write yet; `some` have, with the most writes.
#[derive(Debug, Clone, Copy, Default)]
struct States {
    none: bool,
    some: Option<Acc>,
}

impl States {
    fn merge(&mut self, o: States) {
        self.none |= o.none;
        self.some = match (self.some, o.some) {
            (Some(a), Some(b)) => Some(if b.count > a.count { b } else { a }),
            (a, b) => a.or(b),
        };
    }
    fn is_empty(&self) -> bool {
        !self.none && self.some.is_none()
    }
}

struct Walk<'c> {
    classify: &'c dyn Fn(&Step) -> Option<WriteEvent>,
    /// Index of the next leaf in flatten order.
    leaf: usize,
    partial: Option<(usize, usize)>,
    /// Paths that have returned.
    done: States,
}

impl Walk<'_> {
    fn seq(&mut self, steps: &[Step], mut live: States, depth: usize) -> States {
        if depth > 512 {
            return live;
        }
        for step in steps {
            match step {
                Step::Alt(arms) => {
                    if arms.is_empty() {
                        continue;
                    }
                    let mut out = States::default();
                    for arm in arms {
                        let got = self.seq(arm, live, depth + 1);
                        out.merge(got);
                    }
                    live = out;
                }
                Step::Exit => {
                    self.done.merge(live);
                    live = States::default();
                }
                leaf => {
                    let index = self.leaf;
                    self.leaf += 1;
                    let Some(e) = (self.classify)(leaf) else {
                        continue;
                    };
                    if live.is_empty() {
                        continue;
                    }
                    if e.aborts && self.partial.is_none() {
                        if let Some(acc) = live.some {
                            self.partial = Some((acc.first, index));
                        } else if e.weight >= MANY {
                            self.partial = Some((index, index));
                        }
                    }
                    let mut next = States::default();
                    let from_none = live.none.then_some(Acc {
                        count: 0,
                        first: index,
                    });
                    for acc in [from_none, live.some].into_iter().flatten() {
                        next.merge(States {
                            none: false,
                            some: Some(Acc {
                                count: acc.count.saturating_add(e.weight).min(MANY),
                                first: acc.first,
                            }),
                        });
                    }
                    live = next;
                }
            }
        }
        live
    }
}

/// The verdict over `steps`; `classify` says which leaves (`Trip`/`Call`) are writes.
pub fn judge(steps: &[Step], classify: &dyn Fn(&Step) -> Option<WriteEvent>) -> Verdict {
    let mut w = Walk {
        classify,
        leaf: 0,
        partial: None,
        done: States::default(),
    };
    let live = w.seq(
        steps,
        States {
            none: true,
            some: None,
        },
        0,
    );
    let mut all = w.done;
    all.merge(live);
    Verdict {
        max_writes: all.some.map_or(0, |a| a.count),
        partial: w.partial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leaves: `Trip(i)` is a write when `i` is in `writes` (`(i, weight, aborts)`).
    fn verdict(steps: &[Step], writes: &[(usize, u32, bool)]) -> Verdict {
        judge(steps, &|s| match s {
            Step::Trip(i) => writes.iter().find(|w| w.0 == *i).map(|w| WriteEvent {
                weight: w.1,
                aborts: w.2,
            }),
            _ => None,
        })
    }

    #[test]
    fn sequential_writes_that_abort_are_partial() {
        let s = [Step::Trip(0), Step::Trip(1)];
        let v = verdict(&s, &[(0, 1, true), (1, 1, true)]);
        assert_eq!(v.max_writes, 2);
        assert_eq!(v.partial, Some((0, 1)));
    }

    #[test]
    fn handled_later_writes_are_independent_on_purpose() {
        let s = [Step::Trip(0), Step::Trip(1), Step::Trip(2)];
        let v = verdict(&s, &[(0, 1, true), (1, 1, false), (2, 1, false)]);
        assert_eq!(v.max_writes, 3);
        assert_eq!(v.partial, None);
    }

    #[test]
    fn exclusive_arms_and_early_returns_are_not_sequential() {
        // if c { w0; return } w1
        let s = [
            Step::Alt(vec![vec![Step::Trip(0), Step::Exit], vec![]]),
            Step::Trip(1),
        ];
        let v = verdict(&s, &[(0, 1, true), (1, 1, true)]);
        assert_eq!((v.max_writes, v.partial), (1, None));
        // match { A => w0, B => w1 }
        let s = [Step::Alt(vec![vec![Step::Trip(0)], vec![Step::Trip(1)]])];
        let v = verdict(&s, &[(0, 1, true), (1, 1, true)]);
        assert_eq!((v.max_writes, v.partial), (1, None));
        // if c { w0 } w1: the arm that writes falls through.
        let s = [Step::Alt(vec![vec![Step::Trip(0)], vec![]]), Step::Trip(1)];
        let v = verdict(&s, &[(0, 1, true), (1, 1, true)]);
        assert_eq!((v.max_writes, v.partial), (2, Some((0, 1))));
    }

    #[test]
    fn a_looped_write_that_aborts_is_partial_alone() {
        let v = verdict(&[Step::Trip(0)], &[(0, MANY, true)]);
        assert_eq!((v.max_writes, v.partial), (MANY, Some((0, 0))));
        let v = verdict(&[Step::Trip(0)], &[(0, MANY, false)]);
        assert_eq!((v.max_writes, v.partial), (MANY, None));
    }

    #[test]
    fn leaf_indices_follow_flatten_order() {
        let s = [
            Step::Trip(9),
            Step::Alt(vec![vec![Step::Trip(7)], vec![Step::Trip(8)]]),
            Step::Trip(5),
        ];
        let v = verdict(&s, &[(8, 1, true), (5, 1, true)]);
        assert_eq!(v.partial, Some((2, 3)));
    }
}
