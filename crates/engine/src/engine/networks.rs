//! Networks an account creates (VPCs and subnets). The dialect decides ids,
//! address plans and defaults; the engine keeps the records per account.

use super::{Caller, Engine};
use crate::error::EngineError;
use crate::model::Network;
use crate::ports::{Change, Expect, WriteSet};

impl Engine {
    /// Records a new network of the caller's; its id must be new.
    pub async fn create_network(
        &self,
        caller: &Caller,
        mut network: Network,
    ) -> Result<Network, EngineError> {
        network.account = caller.account.clone();
        network.product = caller.product.clone();
        network.created_at = self.clock.now();
        network.version = 1;
        let mut writes = WriteSet::new();
        writes.push(Change::Network {
            record: network.clone(),
            expect: Expect::Absent,
        });
        self.store.commit(writes).await?;
        Ok(network)
    }

    /// The networks the caller created, oldest first.
    pub async fn networks(&self, caller: &Caller) -> Result<Vec<Network>, EngineError> {
        Ok(self
            .store
            .networks(&caller.account, &caller.product)
            .await?)
    }
}
