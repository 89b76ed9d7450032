//! `cargo lambda build --release` packages this for AWS Lambda.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(wild_rydes_lambda::service()).await
}
