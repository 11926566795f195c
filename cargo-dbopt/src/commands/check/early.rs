//! The schema side started before `cargo metadata` answers.
//!
//! `cargo metadata` takes about 10 ms, during which dbopt would wait: a quarter of checking a
//! workspace with 1,000 migrations. So the packages are guessed from the manifests
//! ([`crate::workspace::guess`]) and their analyses start at once, on threads of their own.
//! When cargo answers, each selected package keeps the early analysis whose [`Plan`] gives
//! the same report as its own, and the analyses nobody keeps that have not started are
//! dropped. The packages without one are analysed as usual, then the kept reports are
//! taken: waited for while they run, analysed by the caller when no thread has started
//! them yet. A wrong guess costs CPU time, never a finding: what a report holds depends
//! only on its plan and the files it reads.
//!
//! The threads are not scoped: an early analysis that nobody keeps is left to finish, or to
//! end with the process, rather than waited for.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use dbopt_core::project::ProjectReport;
use dbopt_core::threads::LargeTurn;

use super::plan::Plan;

/// The early analyses.
#[derive(Debug)]
pub struct Early {
    shared: Arc<Shared>,
    /// The turn large histories take, early or not.
    turn: Option<LargeTurn>,
}

#[derive(Debug)]
struct Shared {
    slots: Mutex<Vec<Slot>>,
    /// Notified when an analysis ends.
    ended: Condvar,
}

#[derive(Debug)]
struct Slot {
    plan: Plan,
    progress: Progress,
}

#[derive(Debug)]
enum Progress {
    Waiting,
    Running,
    Done(ProjectReport),
    /// Taken, or not to be started.
    Gone,
}

impl Early {
    /// Starts analysing `plans` on up to `threads` threads (packages side by side, as
    /// [`dbopt_core::project::ProjectInput::side_by_side`] says).
    pub fn start(plans: Vec<Plan>, threads: usize) -> Early {
        let workers = threads.min(plans.len());
        // One package alone spreads its own migrations over the threads.
        let turn = (workers > 1).then(LargeTurn::default);
        let slots = plans
            .into_iter()
            .map(|mut plan| {
                plan.input.side_by_side.clone_from(&turn);
                Slot {
                    plan,
                    progress: Progress::Waiting,
                }
            })
            .collect();
        let shared = Arc::new(Shared {
            slots: Mutex::new(slots),
            ended: Condvar::new(),
        });
        for k in 0..workers {
            let shared = Arc::clone(&shared);
            // A thread that cannot start leaves its share to the others, or to `take`.
            let _ = std::thread::Builder::new()
                .name(format!("dbopt-early-{k}"))
                .spawn(move || shared.work());
        }
        Early { shared, turn }
    }

    /// The turn the early analyses take; the packages analysed after cargo answers take it
    /// too, so that one large history at a time is in memory.
    pub fn turn(&self) -> Option<&LargeTurn> {
        self.turn.as_ref()
    }

    /// Cargo has answered: for each of `plans`, the early analysis that gives the same
    /// report, if any. The other analyses that have not started never will.
    pub fn keep(&self, plans: &[Plan]) -> Vec<Option<usize>> {
        let mut slots = self.shared.lock();
        let kept: Vec<Option<usize>> = plans
            .iter()
            .map(|plan| {
                slots
                    .iter()
                    .position(|s| !matches!(s.progress, Progress::Gone) && s.plan.same_report(plan))
            })
            .collect();
        for (k, slot) in slots.iter_mut().enumerate() {
            if matches!(slot.progress, Progress::Waiting) && !kept.contains(&Some(k)) {
                slot.progress = Progress::Gone;
            }
        }
        kept
    }

    /// The report of early analysis `k` (one [`Early::keep`] gave), waiting for it while it
    /// runs. `None` when it has not started (it then never will, and the caller analyses
    /// the package) or when its thread panicked.
    pub fn take(&self, k: usize) -> Option<ProjectReport> {
        let mut slots = self.shared.lock();
        loop {
            match std::mem::replace(&mut slots[k].progress, Progress::Gone) {
                Progress::Running => {
                    slots[k].progress = Progress::Running;
                    slots = self
                        .shared
                        .ended
                        .wait(slots)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                Progress::Done(report) => return Some(report),
                Progress::Waiting | Progress::Gone => return None,
            }
        }
    }
}

#[cfg(test)]
impl Early {
    /// Waits until every analysis has ended (what cargo's answer would find if it came late).
    fn settle(&self) {
        let mut slots = self.shared.lock();
        while slots
            .iter()
            .any(|s| matches!(s.progress, Progress::Waiting | Progress::Running))
        {
            slots = self
                .shared
                .ended
                .wait(slots)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One thread's share: the next waiting plan, until none is left.
    fn work(&self) {
        loop {
            let (k, plan) = {
                let mut slots = self.lock();
                let Some(k) = slots
                    .iter()
                    .position(|s| matches!(s.progress, Progress::Waiting))
                else {
                    return;
                };
                slots[k].progress = Progress::Running;
                (k, slots[k].plan.clone())
            };
            let mut ended = Ended {
                shared: self,
                k,
                report: None,
            };
            ended.report = Some(plan.run());
        }
    }
}

/// Records the end of analysis `k` when dropped, so that a waiter wakes even after a panic.
struct Ended<'a> {
    shared: &'a Shared,
    k: usize,
    report: Option<ProjectReport>,
}

impl Drop for Ended<'_> {
    fn drop(&mut self) {
        let mut slots = self.shared.lock();
        slots[self.k].progress = self.report.take().map_or(Progress::Gone, Progress::Done);
        drop(slots);
        self.shared.ended.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use dbopt_core::config::Resolved;
    use dbopt_core::model::Backend;
    use dbopt_core::project::ProjectInput;

    use super::*;

    /// A package with a foreign key that has no index, and a migration that does not parse.
    fn package(dir: &Path) {
        let write = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("diesel.toml", "[print_schema]\nfile = \"src/schema.rs\"\n");
        write(
            "migrations/2024-01-01-000000_users/up.sql",
            "CREATE TABLE users (id SERIAL PRIMARY KEY);\n",
        );
        write(
            "migrations/2024-01-02-000000_posts/up.sql",
            "CREATE TABLE posts (id SERIAL PRIMARY KEY, user_id INT NOT NULL REFERENCES users (id));\n",
        );
        write(
            "migrations/2024-01-03-000000_oops/up.sql",
            "CREATE TABLE (;\n",
        );
        write(
            "src/schema.rs",
            "diesel::table! { users (id) { id -> Int4, } }\n\
             diesel::table! { posts (id) { id -> Int4, user_id -> Int4, } }\n",
        );
    }

    fn plan(root: &Path, name: &str, backend: Backend) -> Plan {
        Plan {
            input: ProjectInput {
                package_dir: root.join(name),
                display_root: root.to_path_buf(),
                package: name.to_owned(),
                backend: Some(backend),
                ..ProjectInput::default()
            },
            resolved: Resolved::default(),
        }
    }

    /// What a report says: each finding's rule, file and offset, and each error.
    fn summary(report: &ProjectReport) -> (Vec<(&'static str, String, usize)>, Vec<String>) {
        let findings = report
            .diagnostics
            .iter()
            .map(|d| {
                let span = &d.primary.span;
                let path = report.sources.path(span.file).display().to_string();
                (d.rule, path, span.range.start)
            })
            .collect();
        let errors = report.errors.iter().map(|e| e.message.clone()).collect();
        (findings, errors)
    }

    #[test]
    fn a_kept_report_is_the_report_of_the_plan_and_other_plans_are_not_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        package(&root.join("a"));
        package(&root.join("b"));
        let guessed = vec![
            plan(root, "a", Backend::Postgres),
            plan(root, "b", Backend::Postgres),
        ];
        let early = Early::start(guessed, 2);
        early.settle();
        // Cargo's answer: `a` as guessed, `b` with another backend.
        let wanted = [
            plan(root, "a", Backend::Postgres),
            plan(root, "b", Backend::Sqlite),
        ];
        assert_eq!(early.keep(&wanted), [Some(0), None]);
        let report = early.take(0).expect("a thread analysed `a`");
        let expected = summary(&wanted[0].run());
        assert_eq!(summary(&report), expected);
        assert!(expected.0.iter().any(|f| f.0 == "fk_without_index"));
        assert_eq!(expected.1.len(), 0, "{:?}", expected.1);
        assert!(expected.0.iter().any(|f| f.0 == "unparsed_statement"));
        // Taken once.
        assert!(early.take(0).is_none());
    }

    #[test]
    fn a_kept_analysis_no_thread_started_is_left_to_the_caller() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        package(&root.join("a"));
        let early = Early::start(vec![plan(root, "a", Backend::Postgres)], 0);
        assert_eq!(early.keep(&[plan(root, "a", Backend::Postgres)]), [Some(0)]);
        assert!(early.take(0).is_none());
    }
}
