#!/usr/bin/env node
// The CDK app: a root stack and one nested stack per API area, built from infra/manifest.json,
// checked by cdk-nag's AwsSolutions pack.
//
//   npx cdk synth                      needs target/lambda/clearview/bootstrap.zip (make build), the
//                                      one zip every function runs
//   npx cdk synth -c synthOnly=true    no zip: functions point at a placeholder S3 object that
//                                      does not exist, so the result can be checked, never deployed
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ClearViewStack } from '../lib/stack';

const app = new App();
const synthOnly = ['true', '1', true].includes(app.node.tryGetContext('synthOnly'));
new ClearViewStack(app, 'ClearView', {
  synthOnly,
  description: synthOnly
    ? 'ClearView (SYNTH-ONLY: no function code; not deployable)'
    : 'ClearView: bias-aware resume review API (CDK, from infra/manifest.json)',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
