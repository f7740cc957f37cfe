//! The seeded, bounded runner the property tests share.

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Runs `check` on `cases` inputs drawn from `strategy`, with the fixed seed.
pub fn run<S: Strategy>(seed: &[u8; 32], cases: u32, strategy: S, check: impl Fn(S::Value))
where
    S::Value: std::fmt::Debug,
{
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, seed));
    runner
        .run(&strategy, |v| {
            check(v);
            Ok(())
        })
        .unwrap();
}
