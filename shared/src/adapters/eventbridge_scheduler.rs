//! EventBridge Scheduler: one-time schedules (`at(…)` in Europe/London, no
//! flexible window, deleted after they run) whose target is the briefings
//! queue, with its dead-letter queue for deliveries that keep failing.
//! Creating a schedule that exists already (`ConflictException`) is success:
//! the name is derived from incident and check, so it is the same schedule.

use super::aws::is_retryable;
use crate::ports::scheduler::{OneTimeSchedule, ScheduleError, Scheduler, SCHEDULE_TIME_ZONE};
use async_trait::async_trait;
use aws_sdk_scheduler::error::SdkError;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode, RetryPolicy, Target,
};
use aws_sdk_scheduler::Client;

/// Where schedules live and what they deliver to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleTarget {
    /// The schedule group (`SCHEDULE_GROUP`).
    pub group: String,
    /// The briefings queue's ARN (`BRIEFINGS_QUEUE_ARN`).
    pub queue_arn: String,
    /// Its dead-letter queue's ARN (`BRIEFINGS_DLQ_ARN`).
    pub dead_letter_arn: String,
    /// The role the scheduler assumes to send to the queue (`SCHEDULER_ROLE_ARN`).
    pub role_arn: String,
}

#[derive(Clone)]
pub struct EventBridgeScheduler {
    client: Client,
    target: ScheduleTarget,
}

impl EventBridgeScheduler {
    pub fn new(client: Client, target: ScheduleTarget) -> Self {
        Self { client, target }
    }

    pub fn from_config(config: &aws_config::SdkConfig, target: ScheduleTarget) -> Self {
        Self::new(Client::new(config), target)
    }

    /// Creates the schedule group if missing (the local stack and tests; in
    /// AWS the SAM template creates it).
    pub async fn create_group_if_missing(&self) -> Result<(), ScheduleError> {
        match self.client.create_schedule_group().name(&self.target.group).send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conflict_exception() => Ok(()),
            Err(e) => Err(sdk_error(e)),
        }
    }
}

fn sdk_error<E>(err: SdkError<E, aws_smithy_runtime_api::http::Response>) -> ScheduleError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if is_retryable(&err) {
        ScheduleError::Unavailable(Box::new(err))
    } else {
        ScheduleError::Permanent(Box::new(err))
    }
}

fn built<T>(r: Result<T, aws_smithy_types::error::operation::BuildError>) -> Result<T, ScheduleError> {
    r.map_err(|e| ScheduleError::Permanent(Box::new(e)))
}

#[async_trait]
impl Scheduler for EventBridgeScheduler {
    async fn create(&self, schedule: &OneTimeSchedule) -> Result<(), ScheduleError> {
        let target = built(
            Target::builder()
                .arn(&self.target.queue_arn)
                .role_arn(&self.target.role_arn)
                .input(&schedule.body)
                .dead_letter_config(DeadLetterConfig::builder().arn(&self.target.dead_letter_arn).build())
                .retry_policy(RetryPolicy::builder().maximum_retry_attempts(10).build())
                .build(),
        )?;
        let window = built(FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off).build())?;
        let result = self
            .client
            .create_schedule()
            .name(schedule.name.as_str())
            .group_name(&self.target.group)
            .schedule_expression(schedule.expression())
            .schedule_expression_timezone(SCHEDULE_TIME_ZONE)
            .flexible_time_window(window)
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conflict_exception() => Ok(()),
            Err(e) => Err(sdk_error(e)),
        }
    }
}
