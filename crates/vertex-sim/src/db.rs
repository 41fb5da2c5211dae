//! The service's SQLite schema (contract §7) and the queries the routes need. One
//! connection behind a mutex, autocommit per statement — as the real service does it.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension as _, Row, params};
use serde::Serialize;

/// The schema, verbatim in spirit from `main.py`.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    hashed_password TEXT NOT NULL,
    is_admin INTEGER DEFAULT 0
);
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY,
    phone TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX IF NOT EXISTS idx_clients_phone ON clients(phone);
CREATE TABLE IF NOT EXISTS portraits (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    image_path TEXT NOT NULL,
    image_preview_path TEXT,
    marker_fset TEXT,
    marker_fset3 TEXT,
    marker_iset TEXT,
    permanent_link TEXT NOT NULL UNIQUE,
    qr_code TEXT,
    view_count INTEGER DEFAULT 0,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (client_id) REFERENCES clients(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY,
    portrait_id TEXT NOT NULL,
    video_path TEXT NOT NULL,
    video_preview_path TEXT,
    is_active INTEGER DEFAULT 0,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (portrait_id) REFERENCES portraits(id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS ar_content (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    image_path TEXT NOT NULL,
    video_path TEXT NOT NULL,
    image_preview_path TEXT,
    video_preview_path TEXT,
    marker_fset TEXT,
    marker_fset3 TEXT,
    marker_iset TEXT,
    ar_url TEXT NOT NULL,
    qr_code TEXT,
    view_count INTEGER DEFAULT 0,
    click_count INTEGER DEFAULT 0,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (username) REFERENCES users(username)
);
";

/// `ClientResponse`.
#[derive(Debug, Clone, Serialize)]
pub struct Client {
    pub id: String,
    pub phone: String,
    pub name: String,
    pub created_at: String,
}

/// `PortraitResponse` (the marker and preview paths stay internal).
#[derive(Debug, Clone, Serialize)]
pub struct Portrait {
    pub id: String,
    pub client_id: String,
    pub permanent_link: String,
    pub qr_code_base64: Option<String>,
    pub image_path: String,
    pub view_count: i64,
    pub created_at: String,
}

/// `VideoResponse`.
#[derive(Debug, Clone, Serialize)]
#[allow(clippy::struct_field_names)] // the contract's field names
pub struct Video {
    pub id: String,
    pub portrait_id: String,
    pub video_path: String,
    pub is_active: bool,
    pub created_at: String,
}

/// A raw `ar_content` row, as `/ar/list` returns it.
#[derive(Debug, Clone, Serialize)]
pub struct ArContent {
    pub id: String,
    pub username: String,
    pub image_path: String,
    pub video_path: String,
    pub image_preview_path: Option<String>,
    pub video_preview_path: Option<String>,
    pub marker_fset: Option<String>,
    pub marker_fset3: Option<String>,
    pub marker_iset: Option<String>,
    pub ar_url: String,
    pub qr_code: Option<String>,
    pub view_count: i64,
    pub click_count: i64,
    pub created_at: String,
}

/// What a new portrait row holds.
pub struct NewPortrait<'a> {
    pub id: &'a str,
    pub client_id: &'a str,
    pub image_path: &'a str,
    pub image_preview_path: Option<&'a str>,
    pub markers: [&'a str; 3],
    pub permanent_link: &'a str,
    pub qr_code: &'a str,
}

pub type DbResult<T> = rusqlite::Result<T>;

/// The database.
pub struct Db {
    conn: Connection,
}

fn client(row: &Row<'_>) -> DbResult<Client> {
    Ok(Client {
        id: row.get(0)?,
        phone: row.get(1)?,
        name: row.get(2)?,
        created_at: row.get(3)?,
    })
}

const PORTRAIT_COLUMNS: &str =
    "id, client_id, permanent_link, qr_code, image_path, view_count, created_at";

fn portrait(row: &Row<'_>) -> DbResult<Portrait> {
    Ok(Portrait {
        id: row.get(0)?,
        client_id: row.get(1)?,
        permanent_link: row.get(2)?,
        qr_code_base64: row.get(3)?,
        image_path: row.get(4)?,
        view_count: row.get(5)?,
        created_at: row.get(6)?,
    })
}

const VIDEO_COLUMNS: &str = "id, portrait_id, video_path, is_active, created_at";

fn video(row: &Row<'_>) -> DbResult<Video> {
    Ok(Video {
        id: row.get(0)?,
        portrait_id: row.get(1)?,
        video_path: row.get(2)?,
        is_active: row.get::<_, i64>(3)? != 0,
        created_at: row.get(4)?,
    })
}

fn ar_content(row: &Row<'_>) -> DbResult<ArContent> {
    Ok(ArContent {
        id: row.get(0)?,
        username: row.get(1)?,
        image_path: row.get(2)?,
        video_path: row.get(3)?,
        image_preview_path: row.get(4)?,
        video_preview_path: row.get(5)?,
        marker_fset: row.get(6)?,
        marker_fset3: row.get(7)?,
        marker_iset: row.get(8)?,
        ar_url: row.get(9)?,
        qr_code: row.get(10)?,
        view_count: row.get(11)?,
        click_count: row.get(12)?,
        created_at: row.get(13)?,
    })
}

const AR_COLUMNS: &str = "id, username, image_path, video_path, image_preview_path, video_preview_path, marker_fset, marker_fset3, marker_iset, ar_url, qr_code, view_count, click_count, created_at";

impl Db {
    /// Opens (or creates) `app_data.db` in `dir` and applies the schema.
    pub fn open(dir: &Path) -> DbResult<Db> {
        let conn = Connection::open(dir.join("app_data.db"))?;
        // The service never enables foreign keys, so the declared cascades never fire (a
        // deleted client leaves its portraits). The bundled SQLite turns them on by default.
        conn.execute_batch("PRAGMA foreign_keys = OFF;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(Db { conn })
    }

    pub fn create_user(
        &self,
        username: &str,
        hashed_password: &str,
        is_admin: bool,
    ) -> DbResult<bool> {
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO users (username, hashed_password, is_admin) VALUES (?1, ?2, ?3)",
            params![username, hashed_password, i64::from(is_admin)],
        )?;
        Ok(inserted == 1)
    }

    /// `(hashed_password, is_admin)` of a user.
    pub fn user(&self, username: &str) -> DbResult<Option<(String, bool)>> {
        self.conn
            .query_row(
                "SELECT hashed_password, is_admin FROM users WHERE username = ?1",
                [username],
                |row| Ok((row.get(0)?, row.get::<_, i64>(1)? != 0)),
            )
            .optional()
    }

    pub fn client_by_phone(&self, phone: &str) -> DbResult<Option<Client>> {
        self.conn
            .query_row(
                "SELECT id, phone, name, created_at FROM clients WHERE phone = ?1",
                [phone],
                client,
            )
            .optional()
    }

    pub fn insert_client(&self, id: &str, phone: &str, name: &str) -> DbResult<Client> {
        self.conn.execute(
            "INSERT INTO clients (id, phone, name) VALUES (?1, ?2, ?3)",
            params![id, phone, name],
        )?;
        Ok(self.client(id)?.expect("just inserted"))
    }

    pub fn client(&self, id: &str) -> DbResult<Option<Client>> {
        self.conn
            .query_row(
                "SELECT id, phone, name, created_at FROM clients WHERE id = ?1",
                [id],
                client,
            )
            .optional()
    }

    pub fn clients(&self) -> DbResult<Vec<Client>> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id, phone, name, created_at FROM clients ORDER BY created_at DESC, rowid DESC",
        )?;
        statement.query_map([], client)?.collect()
    }

    /// `phone LIKE '%<text>%'`: `%` and `_` in the input act as wildcards, like the service.
    pub fn search_clients(&self, phone: &str) -> DbResult<Vec<Client>> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT id, phone, name, created_at FROM clients WHERE phone LIKE ?1 ORDER BY created_at DESC, rowid DESC")?;
        statement
            .query_map([format!("%{phone}%")], client)?
            .collect()
    }

    pub fn update_client(&self, id: &str, phone: Option<&str>, name: Option<&str>) -> DbResult<()> {
        if let Some(phone) = phone {
            self.conn.execute(
                "UPDATE clients SET phone = ?1 WHERE id = ?2",
                params![phone, id],
            )?;
        }
        if let Some(name) = name {
            self.conn.execute(
                "UPDATE clients SET name = ?1 WHERE id = ?2",
                params![name, id],
            )?;
        }
        Ok(())
    }

    pub fn delete_client(&self, id: &str) -> DbResult<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM clients WHERE id = ?1", [id])?
            == 1)
    }

    pub fn insert_portrait(&self, new: &NewPortrait<'_>) -> DbResult<Portrait> {
        self.conn.execute(
            "INSERT INTO portraits (id, client_id, image_path, image_preview_path, marker_fset, marker_fset3, marker_iset, permanent_link, qr_code, view_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)",
            params![
                new.id,
                new.client_id,
                new.image_path,
                new.image_preview_path,
                new.markers[0],
                new.markers[1],
                new.markers[2],
                new.permanent_link,
                new.qr_code
            ],
        )?;
        Ok(self.portrait(new.id)?.expect("just inserted"))
    }

    pub fn portrait(&self, id: &str) -> DbResult<Option<Portrait>> {
        self.conn
            .query_row(
                &format!("SELECT {PORTRAIT_COLUMNS} FROM portraits WHERE id = ?1"),
                [id],
                portrait,
            )
            .optional()
    }

    pub fn portraits(&self, client_id: Option<&str>) -> DbResult<Vec<Portrait>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {PORTRAIT_COLUMNS} FROM portraits WHERE (?1 IS NULL OR client_id = ?1) ORDER BY created_at DESC, rowid DESC"
        ))?;
        statement.query_map([client_id], portrait)?.collect()
    }

    pub fn delete_portrait(&self, id: &str) -> DbResult<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM portraits WHERE id = ?1", [id])?
            == 1)
    }

    pub fn count_portrait_view(&self, id: &str) -> DbResult<()> {
        self.conn.execute(
            "UPDATE portraits SET view_count = view_count + 1 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    pub fn insert_video(
        &self,
        id: &str,
        portrait_id: &str,
        video_path: &str,
        is_active: bool,
    ) -> DbResult<Video> {
        self.conn.execute(
            "INSERT INTO videos (id, portrait_id, video_path, video_preview_path, is_active) VALUES (?1, ?2, ?3, NULL, ?4)",
            params![id, portrait_id, video_path, i64::from(is_active)],
        )?;
        Ok(self.video(id)?.expect("just inserted"))
    }

    pub fn video(&self, id: &str) -> DbResult<Option<Video>> {
        self.conn
            .query_row(
                &format!("SELECT {VIDEO_COLUMNS} FROM videos WHERE id = ?1"),
                [id],
                video,
            )
            .optional()
    }

    pub fn videos(&self, portrait_id: &str) -> DbResult<Vec<Video>> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("SELECT {VIDEO_COLUMNS} FROM videos WHERE portrait_id = ?1 ORDER BY created_at DESC, rowid DESC"))?;
        statement.query_map([portrait_id], video)?.collect()
    }

    /// Deactivates every video of the portrait, then activates this one, in one transaction.
    pub fn activate_video(&mut self, video: &Video) -> DbResult<()> {
        let transaction = self.conn.transaction()?;
        transaction.execute(
            "UPDATE videos SET is_active = 0 WHERE portrait_id = ?1",
            [&video.portrait_id],
        )?;
        transaction.execute("UPDATE videos SET is_active = 1 WHERE id = ?1", [&video.id])?;
        transaction.commit()
    }

    pub fn delete_video(&self, id: &str) -> DbResult<()> {
        self.conn
            .execute("DELETE FROM videos WHERE id = ?1", [id])?;
        Ok(())
    }

    pub fn insert_ar_content(&self, row: &ArContent) -> DbResult<ArContent> {
        self.conn.execute(
            "INSERT INTO ar_content (id, username, image_path, video_path, image_preview_path, video_preview_path, marker_fset, marker_fset3, marker_iset, ar_url, qr_code, view_count, click_count)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 0, 0)",
            params![
                row.id,
                row.username,
                row.image_path,
                row.video_path,
                row.image_preview_path,
                row.video_preview_path,
                row.marker_fset,
                row.marker_fset3,
                row.marker_iset,
                row.ar_url,
                row.qr_code
            ],
        )?;
        Ok(self.ar_content(&row.id)?.expect("just inserted"))
    }

    pub fn ar_content(&self, id: &str) -> DbResult<Option<ArContent>> {
        self.conn
            .query_row(
                &format!("SELECT {AR_COLUMNS} FROM ar_content WHERE id = ?1"),
                [id],
                ar_content,
            )
            .optional()
    }

    pub fn ar_contents(&self, username: Option<&str>) -> DbResult<Vec<ArContent>> {
        let mut statement = self.conn.prepare_cached(&format!(
            "SELECT {AR_COLUMNS} FROM ar_content WHERE (?1 IS NULL OR username = ?1) ORDER BY created_at DESC, rowid DESC"
        ))?;
        statement.query_map([username], ar_content)?.collect()
    }

    pub fn count_ar_view(&self, id: &str) -> DbResult<()> {
        self.conn.execute(
            "UPDATE ar_content SET view_count = view_count + 1 WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    pub fn delete_ar_content(&self, id: &str) -> DbResult<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM ar_content WHERE id = ?1", [id])?
            == 1)
    }
}
