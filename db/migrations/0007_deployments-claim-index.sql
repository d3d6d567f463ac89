DROP INDEX "deployments_claim_idx";--> statement-breakpoint
CREATE INDEX "deployments_claim_idx" ON "deployments" USING btree ("state");