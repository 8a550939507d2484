//! Stored price overrides, one JSON pricing document per model selector. The store does not
//! interpret the document; the gateway's pricing module owns its shape.

use crate::error::Result;
use crate::exec::RowGet;
use crate::records::PricingOverrideRow;
use crate::sql::Sql;
use crate::store::Store;

fn override_from_row(r: &dyn RowGet) -> sqlx::Result<PricingOverrideRow> {
    Ok(PricingOverrideRow {
        selector: r.text("selector")?,
        pricing: r.json("pricing")?,
        updated_at_us: r.int("updated_at_us")?,
    })
}

impl Store {
    /// Every override, ordered by selector.
    pub async fn list_pricing_overrides(&self) -> Result<Vec<PricingOverrideRow>> {
        let sql = Sql::new(
            self.dialect(),
            "SELECT selector, pricing, updated_at_us FROM model_pricing_overrides ORDER BY selector",
        );
        self.fetch_all(sql, override_from_row).await
    }

    /// Creates the override for `row.selector` or replaces it.
    pub async fn put_pricing_override(&self, row: &PricingOverrideRow) -> Result<()> {
        let mut sql = Sql::new(
            self.dialect(),
            "INSERT INTO model_pricing_overrides (selector, pricing, updated_at_us) VALUES ",
        );
        sql.bind_tuple([
            row.selector.as_str().into(),
            (&row.pricing).into(),
            row.updated_at_us.into(),
        ])
        .push(
            " ON CONFLICT (selector) DO UPDATE SET pricing = excluded.pricing, \
             updated_at_us = excluded.updated_at_us",
        );
        self.execute(sql).await?;
        Ok(())
    }

    /// Removes the override for `selector`; `false` when there was none.
    pub async fn delete_pricing_override(&self, selector: &str) -> Result<bool> {
        let mut sql = Sql::new(
            self.dialect(),
            "DELETE FROM model_pricing_overrides WHERE selector = ",
        );
        sql.bind(selector);
        Ok(self.execute(sql).await? > 0)
    }
}
