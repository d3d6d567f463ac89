ALTER TABLE "strategies" ADD COLUMN "pairlist" jsonb;--> statement-breakpoint
ALTER TABLE "backtest_sweeps" ADD COLUMN "symbols" text[];--> statement-breakpoint
ALTER TABLE "backtest_sweeps" ADD COLUMN "capital" jsonb;