//! `ramguard poll`.

use std::path::Path;

use super::output::{Format, print_json};
use super::{EXIT_OK, EXIT_SERVICE_ERROR};
use crate::world_file::{LockedWorld, open_world, save_world};

/// Polls the job `job` (its location or id) of the world file, and writes
/// the world back.
pub(crate) fn run(world: &Path, at: Option<&str>, job: &str, format: Format) -> Result<u8, String> {
    let file = LockedWorld::lock(world)?;
    let simulator = open_world(&file, at)?;
    let id = job.rsplit('/').next().unwrap_or(job);
    let response = simulator.poll(id);
    save_world(&file, &simulator.world())?;
    drop(file);
    match format {
        Format::Json => print_json(&serde_json::json!({ "status": response.status, "body": response.body }))?,
        Format::Human => {
            let body = serde_json::to_string_pretty(&response.body).map_err(|e| e.to_string())?;
            println!("HTTP {}\n{body}", response.status);
        }
    }
    Ok(if response.is_success() { EXIT_OK } else { EXIT_SERVICE_ERROR })
}
