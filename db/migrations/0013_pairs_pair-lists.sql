ALTER TABLE "strategies" ADD COLUMN "symbols" text[];--> statement-breakpoint
ALTER TABLE "strategies" ADD COLUMN "capital" jsonb;--> statement-breakpoint
ALTER TABLE "backtest_trades" ADD COLUMN "symbol" text;--> statement-breakpoint
ALTER TABLE "backtests" ADD COLUMN "symbols" text[];--> statement-breakpoint
ALTER TABLE "backtests" ADD COLUMN "capital" jsonb;--> statement-breakpoint
ALTER TABLE "backtests" ADD COLUMN "pairs" jsonb;--> statement-breakpoint
ALTER TABLE "backtests" ADD COLUMN "chart_pair_equity" jsonb;