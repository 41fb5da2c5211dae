//! [`Ledger`]: every row a run creates through the API, recorded when the service confirms
//! the creation and crossed off when it confirms the deletion. After the run's cleanup,
//! [`Ledger::settle`] asks the service what is really left: it finds rows whose creation
//! answer was lost (by the run's phone tags), deletes what it can, checks every row still
//! open (a 404 means the deletion happened even if its answer was lost), and lists the
//! rest by id.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use load_engine::{LoadError, LoadOptions};
use report_model::{
    leftovers::Leftover, leftovers::LeftoverKind, redact_url, workflow::CleanupSummary,
};

use crate::client::{Order, VertexClient, Video};
use crate::{ApiError, TestData};

/// The rows a run created and has not seen deleted. Cheap to clone; clones share one
/// ledger.
#[derive(Debug, Clone)]
pub struct Ledger {
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    place: String,
    open: BTreeMap<(LeftoverKind, String), Entry>,
    phone_tags: BTreeSet<String>,
    /// Phone tags whose clients could not be searched, with the error: rows of this run
    /// may be on the server unseen.
    unsearched: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct Entry {
    /// The client of a portrait, the portrait of a video.
    parent: Option<String>,
    /// Why it is still open: the last deletion error, or how it was found.
    reason: String,
}

const NOT_DELETED: &str = "not deleted";

/// The reason of a row the ledger learnt of from the server.
const FOUND: &str = "found on the server: its creation's answer was lost";

/// Extra attempts of each unanswered read or deletion while settling: an answer cut by a
/// flaky network must not turn into a wrong list.
const SETTLE_RETRIES: u32 = 4;

impl Ledger {
    /// An empty ledger for the service at `base_url`.
    pub fn new(base_url: &str) -> Ledger {
        Ledger {
            state: Arc::new(Mutex::new(State {
                place: redact_url(base_url.trim_end_matches('/')),
                open: BTreeMap::new(),
                phone_tags: BTreeSet::new(),
                unsearched: BTreeMap::new(),
            })),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        // A panic elsewhere while holding the lock leaves the data usable: keep going.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut state)
    }

    /// Clients whose phone carries `data`'s tag belong to this run: [`Ledger::settle`]
    /// looks for them, so an order whose answer was lost is still found.
    pub fn watch(&self, data: &TestData) {
        self.with(|s| s.phone_tags.insert(data.phone_tag()));
    }

    fn open_entry(&self, kind: LeftoverKind, id: &str, parent: Option<&str>, reason: &str) {
        self.with(|s| {
            s.open
                .entry((kind, id.to_owned()))
                .or_insert_with(|| Entry {
                    parent: parent.map(str::to_owned),
                    reason: reason.to_owned(),
                });
        });
    }

    /// Records the three rows of a created order.
    pub(crate) fn created_order(&self, order: &Order) {
        self.open_entry(LeftoverKind::Client, &order.client.id, None, NOT_DELETED);
        self.open_entry(
            LeftoverKind::Portrait,
            &order.portrait.id,
            Some(&order.client.id),
            NOT_DELETED,
        );
        self.created_video(&order.video);
    }

    /// Records a created video.
    pub(crate) fn created_video(&self, video: &Video) {
        self.open_entry(
            LeftoverKind::Video,
            &video.id,
            Some(&video.portrait_id),
            NOT_DELETED,
        );
    }

    /// The outcome of a deletion: crossed off when it happened (or the row was already
    /// gone, 404); otherwise the error is kept as the reason.
    pub(crate) fn deletion(&self, kind: LeftoverKind, id: &str, result: &Result<(), ApiError>) {
        self.with(|s| match result {
            Err(error) if error.status() != Some(404) => {
                if let Some(entry) = s.open.get_mut(&(kind, id.to_owned())) {
                    entry.reason = format!("deletion failed: {error}");
                }
            }
            _ => {
                s.open.remove(&(kind, id.to_owned()));
            }
        });
    }

    /// Asks the service what is left after the cleanup: finds this run's rows it did not
    /// know of, deletes every open row (unless `keep`), checks each one still open, and
    /// returns what remains. Bounded by the request timeout of each call.
    pub async fn settle(
        &self,
        base_url: &str,
        token: &str,
        options: &LoadOptions,
        keep: bool,
    ) -> Result<(Vec<Leftover>, CleanupSummary), LoadError> {
        let mut client = load_engine::Client::standalone(options)?;
        let mut api = VertexClient::new(&mut client, base_url)
            .with_token(Some(token.to_owned()))
            .with_ledger(self.clone())
            .with_retries(SETTLE_RETRIES);
        self.discover_videos(&mut api).await;
        self.discover_clients(&mut api).await;
        let summary = if keep {
            CleanupSummary::default()
        } else {
            let summary = self.delete_open(&mut api).await;
            // The deletions may have added rows of their own (a throwaway video whose
            // answer was lost): look again before checking.
            self.discover_videos(&mut api).await;
            summary
        };
        self.verify(&mut api).await;
        Ok((self.remaining(keep), summary))
    }

    /// Adds the videos of the open portraits that the ledger did not know of.
    async fn discover_videos(&self, api: &mut VertexClient<'_>) {
        let known_portraits: Vec<String> = self.with(|s| {
            s.open
                .keys()
                .filter(|(kind, _)| *kind == LeftoverKind::Portrait)
                .map(|(_, id)| id.clone())
                .collect()
        });
        for portrait in known_portraits {
            for video in api.list_videos(&portrait).await.unwrap_or_default() {
                self.open_entry(LeftoverKind::Video, &video.id, Some(&portrait), FOUND);
            }
        }
    }

    /// Adds this run's clients (by phone tag), their portraits and their videos that the
    /// ledger did not know of.
    async fn discover_clients(&self, api: &mut VertexClient<'_>) {
        let tags: Vec<String> = self.with(|s| s.phone_tags.iter().cloned().collect());
        for tag in tags {
            let clients = match api.search_clients(&tag).await {
                Ok(clients) => {
                    self.with(|s| s.unsearched.remove(&tag));
                    clients
                }
                Err(error) => {
                    // Rows of this run may be there unseen: say so rather than list less.
                    let reason = format!("unverified: cannot search this run's clients: {error}");
                    self.with(|s| s.unsearched.insert(tag, reason));
                    continue;
                }
            };
            for client in clients {
                self.open_entry(LeftoverKind::Client, &client.id, None, FOUND);
                let Ok(portraits) = api.list_portraits(Some(&client.id)).await else {
                    continue;
                };
                for portrait in portraits {
                    self.open_entry(
                        LeftoverKind::Portrait,
                        &portrait.id,
                        Some(&client.id),
                        FOUND,
                    );
                    for video in api.list_videos(&portrait.id).await.unwrap_or_default() {
                        self.open_entry(LeftoverKind::Video, &video.id, Some(&portrait.id), FOUND);
                    }
                }
            }
        }
    }

    /// Deletes every open row: each portrait with its videos, then clients, then videos
    /// of portraits already gone.
    async fn delete_open(&self, api: &mut VertexClient<'_>) -> CleanupSummary {
        let data = TestData::new("cleanup");
        let mut summary = CleanupSummary::default();
        let of_kind = |kind: LeftoverKind| -> Vec<(String, Option<String>)> {
            self.with(|s| {
                s.open
                    .iter()
                    .filter(|((k, _), _)| *k == kind)
                    .map(|((_, id), entry)| (id.clone(), entry.parent.clone()))
                    .collect()
            })
        };
        let mut kept_clients = BTreeSet::new();
        for (portrait_id, client_id) in of_kind(LeftoverKind::Portrait) {
            let gone =
                crate::workflow::delete_portrait_and_videos(api, &portrait_id, &data, &mut summary)
                    .await;
            if !gone && let Some(client_id) = client_id {
                // Its client stays, so the portrait can still be found by it.
                kept_clients.insert(client_id);
            }
        }
        for (client_id, _) in of_kind(LeftoverKind::Client) {
            if kept_clients.contains(&client_id) {
                continue;
            }
            match api.delete_client(&client_id).await {
                Ok(()) => summary.deleted_clients += 1,
                Err(error) => summary
                    .leftovers
                    .push(format!("client {client_id}: {error}")),
            }
        }
        for (video_id, _) in of_kind(LeftoverKind::Video) {
            match api.delete_video(&video_id).await {
                Ok(()) => summary.deleted_videos += 1,
                Err(error) => summary.leftovers.push(format!("video {video_id}: {error}")),
            }
        }
        summary
    }

    /// Asks the service about every open row; a 404 (or a video missing from its
    /// portrait's list) crosses it off, a failed question marks it unverified.
    async fn verify(&self, api: &mut VertexClient<'_>) {
        let open: Vec<((LeftoverKind, String), Entry)> =
            self.with(|s| s.open.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        for ((kind, id), entry) in open {
            let exists: Result<bool, ApiError> = match kind {
                LeftoverKind::Client => present(api.get_client(&id).await.map(|_| ())),
                // Not `/details`: it answers 404 for a portrait whose client is gone.
                LeftoverKind::Portrait => api
                    .list_portraits(entry.parent.as_deref())
                    .await
                    .map(|portraits| portraits.iter().any(|p| p.id == id)),
                LeftoverKind::Video => match entry.parent.as_deref() {
                    Some(portrait) => api
                        .list_videos(portrait)
                        .await
                        .map(|videos| videos.iter().any(|v| v.id == id)),
                    None => Ok(true),
                },
                LeftoverKind::Object | LeftoverKind::File => Ok(true),
            };
            self.with(|s| match exists {
                Ok(false) => {
                    s.open.remove(&(kind, id));
                }
                Ok(true) => {}
                Err(error) => {
                    if let Some(entry) = s.open.get_mut(&(kind, id)) {
                        entry.reason = format!("{}; unverified: {error}", entry.reason);
                    }
                }
            });
        }
    }

    /// What is still open, as leftovers (`keep`: left on purpose), and one
    /// `<phone tag>*` client entry per tag that could not be searched.
    pub fn remaining(&self, keep: bool) -> Vec<Leftover> {
        self.with(|s| {
            let open = s.open.iter().map(|((kind, id), entry)| Leftover {
                kind: *kind,
                id: id.clone(),
                place: s.place.clone(),
                reason: if keep {
                    Leftover::KEPT.to_owned()
                } else {
                    entry.reason.clone()
                },
            });
            let unsearched = s.unsearched.iter().map(|(tag, reason)| Leftover {
                kind: LeftoverKind::Client,
                id: format!("{tag}*"),
                place: s.place.clone(),
                reason: reason.clone(),
            });
            open.chain(unsearched).collect()
        })
    }
}

/// `Ok(true)` when the row answered, `Ok(false)` on 404, the error otherwise.
fn present(result: Result<(), ApiError>) -> Result<bool, ApiError> {
    match result {
        Ok(()) => Ok(true),
        Err(error) if error.status() == Some(404) => Ok(false),
        Err(error) => Err(error),
    }
}
