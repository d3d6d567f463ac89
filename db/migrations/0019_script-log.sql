ALTER TABLE "backtests" ADD COLUMN "script_log" jsonb;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "script_log" jsonb;