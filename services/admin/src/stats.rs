//! What `GetStats` answers: the user counts from `user` and the email queue's from
//! `notification`, asked at once. Mail is secondary here: while the notification service is
//! unreachable the user counts still answer, without the email ones.
use crate::{error::AdminError, service::Admin};
use astro_proto::{admin::v1::Stats, notification::v1::QueueStatsRequest, user::v1::GetStatsRequest};

impl Admin {
    /// The statistics an admin sees.
    pub async fn stats(&self) -> Result<Stats, AdminError> {
        let (mut users, mut notifications) = (self.users.clone(), self.notifications.clone());
        let (users, email) = tokio::join!(
            users.get_stats(GetStatsRequest {}),
            notifications.get_queue_stats(QueueStatsRequest {}),
        );
        let users = users.map_err(AdminError::Downstream)?.into_inner();
        let email = match email {
            Ok(response) => Some(response.into_inner()),
            Err(status) => {
                tracing::warn!(error = %status, "email queue counts unavailable");
                None
            }
        };
        Ok(Stats {
            users: Some(users),
            email,
        })
    }
}
