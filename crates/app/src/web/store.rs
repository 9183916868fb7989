//! The training run kept in the browser's IndexedDB, so a reload or a crash loses nothing: one
//! record (the run's JSON, its corpus when it is not the built-in one, and the checkpoint bytes).

use idb::{Database, DatabaseEvent, Factory, ObjectStore, ObjectStoreParams, TransactionMode};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

// Not "cubecl": burn's WebGPU runtime keeps its own database under that name.
const DATABASE: &str = "glassbox";
const STORE: &str = "runs";
const KEY: &str = "current";

/// The layout of a saved run. A record of another version (or none: saved before versions) is
/// offered for download or discard, never read as a run.
pub const SCHEMA_VERSION: u32 = 2;

/// A run as saved: enough to resume it exactly.
pub struct SavedRun {
    /// The tab that saves it (another tab's run is not overwritten without asking).
    pub owner: String,
    /// `RunRecord` as JSON (truncated to the checkpoint's step).
    pub record_json: String,
    /// The training text, unless it is the built-in corpus.
    pub corpus: Option<String>,
    pub checkpoint: Vec<u8>,
}

fn message(e: impl std::fmt::Display) -> String {
    format!("browser storage: {e}")
}

async fn open() -> Result<Database, String> {
    let factory = Factory::new().map_err(message)?;
    let mut request = factory.open(DATABASE, Some(1)).map_err(message)?;
    request.on_upgrade_needed(|event| {
        if let Ok(database) = event.database() {
            let _ = database.create_object_store(STORE, ObjectStoreParams::new());
        }
    });
    request.await.map_err(message)
}

pub async fn save(run: &SavedRun) -> Result<(), String> {
    let object = js_sys::Object::new();
    let corpus = run
        .corpus
        .as_deref()
        .map_or(JsValue::NULL, JsValue::from_str);
    for (key, value) in [
        ("version", JsValue::from(SCHEMA_VERSION)),
        ("owner", JsValue::from_str(&run.owner)),
        ("record", JsValue::from_str(&run.record_json)),
        ("corpus", corpus),
        (
            "checkpoint",
            Uint8Array::from(run.checkpoint.as_slice()).into(),
        ),
    ] {
        Reflect::set(&object, &key.into(), &value).map_err(|e| message(format!("{e:?}")))?;
    }
    write(|store| store.put(&object, Some(&JsValue::from_str(KEY)))).await
}

/// The value stored under `key`, if any.
async fn get(key: &str) -> Result<Option<JsValue>, String> {
    let database = open().await?;
    let transaction = database
        .transaction(&[STORE], TransactionMode::ReadOnly)
        .map_err(message)?;
    let store = transaction.object_store(STORE).map_err(message)?;
    let value = store
        .get(JsValue::from_str(key))
        .map_err(message)?
        .await
        .map_err(message)?;
    transaction.await.map_err(message)?;
    database.close();
    Ok(value)
}

/// What storage holds under the run's key.
pub enum Stored {
    Run(SavedRun),
    /// A record this version cannot read (another version, or broken), with its checkpoint when
    /// one can be found, to download.
    Unreadable {
        why: String,
        checkpoint: Option<Vec<u8>>,
    },
}

pub async fn load() -> Result<Option<Stored>, String> {
    let Some(value) = get(KEY).await? else {
        return Ok(None);
    };
    let field = |key: &str| Reflect::get(&value, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let checkpoint = field("checkpoint")
        .dyn_into::<Uint8Array>()
        .ok()
        .map(|c| c.to_vec());
    let unreadable = |why: String| Stored::Unreadable {
        why,
        checkpoint: checkpoint.clone(),
    };
    let version = field("version").as_f64();
    if version != Some(SCHEMA_VERSION as f64) {
        return Ok(Some(unreadable(match version {
            Some(v) => format!("it was saved by another version of Glassbox (format {v})"),
            None => "it was saved by an older version of Glassbox".into(),
        })));
    }
    let (Some(record_json), Some(bytes)) = (field("record").as_string(), checkpoint.clone()) else {
        return Ok(Some(unreadable("it is incomplete".into())));
    };
    Ok(Some(Stored::Run(SavedRun {
        owner: field("owner").as_string().unwrap_or_default(),
        record_json,
        corpus: field("corpus").as_string(),
        checkpoint: bytes,
    })))
}

/// The tab that saved the stored run, if one is stored.
pub async fn owner() -> Result<Option<String>, String> {
    Ok(get(KEY).await?.map(|v| {
        Reflect::get(&v, &"owner".into())
            .ok()
            .and_then(|o| o.as_string())
            .unwrap_or_default()
    }))
}

pub async fn clear() -> Result<(), String> {
    write(|store| store.delete(JsValue::from_str(KEY))).await
}

/// Runs one request on the store in a read-write transaction and waits for it to commit.
async fn write<R, T>(
    request: impl FnOnce(&ObjectStore) -> Result<R, idb::Error>,
) -> Result<(), String>
where
    R: IntoFuture<Output = Result<T, idb::Error>>,
{
    let database = open().await?;
    let transaction = database
        .transaction(&[STORE], TransactionMode::ReadWrite)
        .map_err(message)?;
    let store = transaction.object_store(STORE).map_err(message)?;
    request(&store).map_err(message)?.await.map_err(message)?;
    transaction
        .commit()
        .map_err(message)?
        .await
        .map_err(message)?;
    database.close();
    Ok(())
}

/// Keeps a piece of text (the experiments' results) under `key`, next to the training run.
pub async fn save_text(key: &str, text: &str) -> Result<(), String> {
    write(|store| store.put(&JsValue::from_str(text), Some(&JsValue::from_str(key)))).await
}

pub async fn load_text(key: &str) -> Result<Option<String>, String> {
    Ok(get(key).await?.and_then(|v| v.as_string()))
}
