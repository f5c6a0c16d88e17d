"""The Piccolo app that owns the hub's tables and migrations."""

import os

from piccolo.conf.apps import AppConfig

from hub.db import tables

APP_CONFIG = AppConfig(
    app_name="qinqing",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[
        tables.Enterprise,
        tables.Account,
        tables.ApiSession,
        tables.ServiceRequest,
        tables.ReviewTask,
        tables.TimelineEntry,
        tables.Document,
        tables.DocumentSequence,
        tables.Upload,
        tables.Supplement,
        tables.AuditEvent,
        tables.Program,
        tables.ProgramMatch,
        tables.Claim,
        tables.BudgetReservation,
        tables.LedgerAccount,
        tables.LedgerTransaction,
        tables.LedgerEntry,
        tables.Notification,
        tables.MessagePreference,
        tables.Message,
        tables.ReconciliationReport,
        tables.AuditHead,
        tables.ApiToken,
        tables.SignInThrottle,
        tables.Draft,
        tables.Rating,
        tables.WorkingCalendarYear,
        tables.Resident,
        tables.Entitlement,
        tables.EntitlementChange,
        tables.PaymentCycle,
        tables.BenefitPayment,
        tables.OpenApplication,
        tables.LifeEventCase,
        tables.CommitmentRecord,
        tables.Credential,
        tables.CredentialShare,
        tables.CredentialShareView,
        tables.FeedbackCase,
        tables.CaseContact,
        tables.RatingInvitation,
    ],
    migration_dependencies=[],
    commands=[],
)
