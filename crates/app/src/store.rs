//! The training run kept in the browser's IndexedDB, so a reload or a crash loses nothing: one
//! record (the run's JSON, its corpus when it is not the built-in one, and the checkpoint bytes).

use idb::{Database, DatabaseEvent, Factory, ObjectStore, ObjectStoreParams, TransactionMode};
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

// Not "cubecl": burn's WebGPU runtime keeps its own database under that name.
const DATABASE: &str = "glassbox";
const STORE: &str = "runs";
const KEY: &str = "current";

/// A run as saved: enough to resume it exactly.
pub struct SavedRun {
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

pub async fn load() -> Result<Option<SavedRun>, String> {
    let Some(value) = get(KEY).await? else {
        return Ok(None);
    };
    let field = |key: &str| Reflect::get(&value, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let record_json = field("record")
        .as_string()
        .ok_or("the saved run has no record")?;
    let checkpoint = field("checkpoint")
        .dyn_into::<Uint8Array>()
        .map_err(|_| "the saved run has no checkpoint")?
        .to_vec();
    Ok(Some(SavedRun {
        record_json,
        corpus: field("corpus").as_string(),
        checkpoint,
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
