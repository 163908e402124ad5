//! The MLflow tracking server of `tests/support/mlflow.sh`, as the MLflow tests reach it.

/// Its URL, from the environment `mlflow.sh env` prints.
pub fn server_url() -> String {
    std::env::var("GGPLAN_TEST_MLFLOW_URL").unwrap_or_else(|_| {
        panic!(
            "GGPLAN_TEST_MLFLOW_URL is not set: this test needs the MLflow server of \
             tests/support/mlflow.sh. Run scripts/test.sh, or `tests/support/mlflow.sh start && \
             eval \"$(tests/support/mlflow.sh env)\"` before cargo test."
        )
    })
}
