//! Shared helpers of dbopt's integration tests.
