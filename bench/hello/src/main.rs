//! The cold-start floor: the least a `lambda_runtime` function does. It answers every event with a fixed
//! JSON body and builds nothing at start. `sim-bench cold-start` spawns it beside each SIM function.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::{json, Value};

async fn hello(_event: LambdaEvent<Value>) -> Result<Value, Error> {
    Ok(json!({ "hello": "world" }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(hello)).await
}
