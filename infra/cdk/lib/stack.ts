// ClearView's stacks in CDK (a root stack and one nested stack per API area), built entirely from
// infra/manifest.json, which `cargo xtask gen` writes from the route table, the consumer list and
// the table definition. Nothing here names a route, a grant or a key: change those in Rust and
// regenerate.
import * as fs from 'fs';
import * as path from 'path';
import {
  ArnFormat, CfnOutput, CfnResource, Duration, Names, NestedStack, RemovalPolicy, SecretValue, Stack, StackProps, Validations,
} from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as guardduty from 'aws-cdk-lib/aws-guardduty';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';

/** infra/manifest.json (see xtask/src/infra.rs `manifest_with`). */
export interface Manifest {
  defaults: {
    runtime: string; memoryMb: number; timeoutS: number; logRetentionDays: number; architecture: string;
    /** The one zip every function runs, relative to the repository root. */
    codeZip: string;
  };
  env: { table: string; userPool: string; userPoolClient: string; mailFrom: string; cursorSecret: string };
  table: {
    partitionKey: string; sortKey: string; billingMode: string; ttlAttribute: string;
    attributes: { name: string; type: string }[];
    globalSecondaryIndexes: { name: string; partitionKey: string; sortKey: string; projection: string }[];
  };
  userPool: {
    groups: string[]; customAttributes: { name: string; mutable: boolean; maxLength: number }[];
    readAttributes: string[]; writeAttributes: string[]; accessTokenHours: number; refreshTokenDays: number;
    mobileCallbackUrl: string; mobileLogoutUrl: string;
  };
  api: {
    corsAllowHeaders: string[]; corsExposeHeaders: string[]; corsMaxAgeS: number;
    throttlingRateLimit: number; throttlingBurstLimit: number;
  };
  bucket: { uploadsPrefix: string; reportsPrefix: string; noncurrentDays: number; reportDays: number; exportsPrefix: string; exportDays: number; uploadAllowHeaders: string[] };
  /** Alarm thresholds (xtask/src/infra/alarms.rs). */
  alarms: { periodS: number; api5xxPercent: number; api5xxMinRequests: number; latencyPeriods: number };
  topics: { name: string; id: string }[];
  queues: {
    name: string; id: string; dlqId: string; maxReceiveCount: number; visibilityTimeoutS: number;
    retentionS: number; dlqRetentionS: number;
    feed: { kind: 'functions' } | { kind: 'objectCreated'; prefix: string } | { kind: 'topic'; topic: string; eventKinds: string[] };
  }[];
  /** Nested stacks (one per API area, chunked), each naming its functions. */
  stacks: { name: string; id: string; functions: string[] }[];
  functions: ManifestFunction[];
}

export type Trigger =
  | { kind: 'http'; method: string; path: string; auth: 'public' | 'jwt'; permission?: string }
  | { kind: 'sqs'; queue: string; batchSize: number; maxBatchingWindowS: number }
  | { kind: 'schedule'; expression: string };

export interface ManifestFunction {
  name: string; id: string; summary: string; trigger: Trigger; memoryMb: number; timeoutS: number;
  env: Record<string, { ref: string } | { secret: string }>;
  statements: { sid: string; actions: string[]; resources: string[] }[];
  /** The p99 duration above which the ticket-tier latency alarm fires. */
  latencyTargetMs: number;
}

/** Page: broken now (dead letters, errors, API 5xx rate). Ticket: degrading (p99, throttles). */
export type AlarmTier = 'page' | 'ticket';

/** One alarm: fires when `periods` consecutive periods are >= `threshold` (default 1 and 1). */
export type AlarmOn = (
  scope: Construct, alarmId: string, description: string, metric: cloudwatch.IMetric,
  opts?: { tier?: AlarmTier; threshold?: number; periods?: number },
) => void;

export const MANIFEST_PATH = path.resolve(__dirname, '..', '..', 'manifest.json');
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export function loadManifest(file = MANIFEST_PATH): Manifest {
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run \`cargo xtask gen\` at the repository root`);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
}

export interface ClearViewStackProps extends StackProps {
  /** Check-only synthesis: no zips needed, functions reference a code object that does not exist. */
  synthOnly?: boolean;
  manifest?: Manifest;
}

/** Gives a resource the logical id template.yaml uses, so the two templates compare by id. */
function fixId(c: IConstruct, id: string) {
  (c.node.defaultChild as import('aws-cdk-lib').CfnResource).overrideLogicalId(id);
}

/** Acknowledges a cdk-nag finding with the reason it is acceptable here. */
function ack(scope: IConstruct, id: string, reason: string) {
  Validations.of(scope).acknowledge({ id, reason });
}

const RETENTION: Record<number, logs.RetentionDays> = {
  7: logs.RetentionDays.ONE_WEEK,
  14: logs.RetentionDays.TWO_WEEKS,
  30: logs.RetentionDays.ONE_MONTH,
  90: logs.RetentionDays.THREE_MONTHS,
  365: logs.RetentionDays.ONE_YEAR,
};

export class ClearViewStack extends Stack {
  constructor(scope: Construct, id: string, props: ClearViewStackProps = {}) {
    super(scope, id, props);
    const m = props.manifest ?? loadManifest();
    const ctx = (key: string, fallback: string): string => `${this.node.tryGetContext(key) ?? fallback}`;
    const spaOrigin = ctx('spaOrigin', 'http://localhost:5173');
    const mailFrom = ctx('mailFrom', 'no-reply@clearview.example');
    const mailIdentity = ctx('mailIdentity', 'clearview.example');
    // Who may register as the first platform admins (comma-separated; empty: nobody).
    const platformAdminEmails = ctx('platformAdminEmails', '');
    const architecture = ctx('architecture', m.defaults.architecture) === 'x86_64'
      ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64;
    const retention = RETENTION[Number(ctx('logRetentionDays', `${m.defaults.logRetentionDays}`))]
      ?? logs.RetentionDays.ONE_MONTH;

    // Cursor secret: generated in the stack, resolved into CURSOR_SECRET at deploy time.
    const cursorSecret = new secretsmanager.Secret(this, 'CursorSecret', {
      description: 'Seals ClearView list cursors (HMAC key shared by every function of the stack)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    ack(cursorSecret, 'AwsSolutions-SMG4',
      'The cursor-sealing key is not rotated automatically: rotation would invalidate every outstanding page cursor mid-list; rotate by redeploying with a new secret version in a maintenance window.');

    // Self-identification sealing key: resolved into SEALING_KEY of granted functions only.
    const sealingKey = new secretsmanager.Secret(this, 'SealingKeySecret', {
      description: 'Seals voluntary self-identification at rest (AES-256-GCM key material)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    fixId(sealingKey, 'SealingKeySecret');
    ack(sealingKey, 'AwsSolutions-SMG4',
      'Sealed values carry their key id; rotation adds a new key beside the old ones in a planned procedure. Automatic rotation would replace the value and make existing sealed demographic data unreadable.');

    // The single table, exactly as clearview_aws::table::table_definition().
    const attrType = (name: string) => {
      const t = m.table.attributes.find((a) => a.name === name)?.type ?? 'S';
      return t === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.STRING;
    };
    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: m.table.partitionKey, type: attrType(m.table.partitionKey) },
      sortKey: { name: m.table.sortKey, type: attrType(m.table.sortKey) },
      billingMode: m.table.billingMode === 'PAY_PER_REQUEST' ? dynamodb.BillingMode.PAY_PER_REQUEST : dynamodb.BillingMode.PROVISIONED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: m.table.ttlAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    fixId(table, 'Table');
    for (const g of m.table.globalSecondaryIndexes) {
      table.addGlobalSecondaryIndex({
        indexName: g.name,
        partitionKey: { name: g.partitionKey, type: attrType(g.partitionKey) },
        sortKey: { name: g.sortKey, type: attrType(g.sortKey) },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // Identity.
    const customAttributes: Record<string, cognito.ICustomAttribute> = {};
    for (const a of m.userPool.customAttributes) {
      customAttributes[a.name] = new cognito.StringAttribute({ mutable: a.mutable, minLen: 1, maxLen: a.maxLength });
    }
    const userPool = new cognito.UserPool(this, 'UserPool', {
      signInAliases: { email: true },
      autoVerify: { email: true },
      selfSignUpEnabled: true,
      signInCaseSensitive: false,
      standardAttributes: { email: { required: true, mutable: true } },
      customAttributes,
      passwordPolicy: {
        minLength: 8, requireUppercase: true, requireLowercase: true, requireDigits: true, requireSymbols: true,
        tempPasswordValidity: Duration.days(7),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { sms: false, otp: true },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      keepOriginal: { email: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    fixId(userPool, 'UserPool');
    ack(userPool, 'AwsSolutions-COG2',
      'MFA is optional by product decision: candidates sign in rarely and must not be locked out; staff are prompted to enrol TOTP in the app.');
    ack(userPool, 'AwsSolutions-COG3',
      'Threat protection (advanced security) needs the Cognito Plus tier; the API already throttles per route and Cognito applies its own lockout on failed sign-ins.');
    ack(userPool, 'AwsSolutions-COG8',
      'The Plus feature plan (threat protection) is a per-MAU cost the product does not need yet; same decision as COG3.');
    m.userPool.groups.forEach((group, precedence) => {
      new cognito.CfnUserPoolGroup(this, `${pascal(group)}Group`, { userPoolId: userPool.userPoolId, groupName: group, precedence });
    });

    // Optional social sign-in: configured by context (the client secrets stay in Secrets Manager).
    const providers: cognito.UserPoolClientIdentityProvider[] = [cognito.UserPoolClientIdentityProvider.COGNITO];
    const idps: cognito.IUserPoolIdentityProvider[] = [];
    const google = this.node.tryGetContext('googleClientId');
    if (google) {
      idps.push(new cognito.UserPoolIdentityProviderGoogle(this, 'GoogleIdentityProvider', {
        userPool, clientId: google, scopes: ['openid', 'email', 'profile'],
        clientSecretValue: SecretValue.secretsManager(ctx('googleClientSecretName', 'clearview/google-client-secret')),
        attributeMapping: { email: cognito.ProviderAttribute.GOOGLE_EMAIL },
      }));
      providers.push(cognito.UserPoolClientIdentityProvider.GOOGLE);
    }
    const facebook = this.node.tryGetContext('facebookAppId');
    if (facebook) {
      idps.push(new cognito.UserPoolIdentityProviderFacebook(this, 'FacebookIdentityProvider', {
        userPool, clientId: facebook, scopes: ['public_profile', 'email'],
        clientSecret: SecretValue.secretsManager(ctx('facebookAppSecretName', 'clearview/facebook-app-secret')).unsafeUnwrap(),
        attributeMapping: { email: cognito.ProviderAttribute.FACEBOOK_EMAIL },
      }));
      providers.push(cognito.UserPoolClientIdentityProvider.FACEBOOK);
    }
    const apple = this.node.tryGetContext('appleServicesId');
    if (apple) {
      idps.push(new cognito.UserPoolIdentityProviderApple(this, 'AppleIdentityProvider', {
        userPool, clientId: apple, teamId: ctx('appleTeamId', ''), keyId: ctx('appleKeyId', ''),
        privateKeyValue: SecretValue.secretsManager(ctx('applePrivateKeyName', 'clearview/apple-private-key')),
        scopes: ['email', 'name'],
        attributeMapping: { email: cognito.ProviderAttribute.APPLE_EMAIL },
      }));
      providers.push(cognito.UserPoolClientIdentityProvider.APPLE);
    }
    const federated = idps.length > 0;
    if (federated) {
      userPool.addDomain('UserPoolDomain', { cognitoDomain: { domainPrefix: ctx('authDomainPrefix', '') } });
    }
    const std = (names: string[]): cognito.StandardAttributesMask => ({
      email: names.includes('email'),
      emailVerified: names.includes('email_verified'),
    });
    const customs = (names: string[]) => names.filter((n) => n.startsWith('custom:')).map((n) => n.slice(7));
    const client = userPool.addClient('UserPoolClient', {
      generateSecret: false,
      authFlows: { userPassword: true, userSrp: true },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(m.userPool.accessTokenHours),
      idTokenValidity: Duration.hours(m.userPool.accessTokenHours),
      refreshTokenValidity: Duration.days(m.userPool.refreshTokenDays),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes(std(m.userPool.readAttributes)).withCustomAttributes(...customs(m.userPool.readAttributes)),
      // The client may not write org_id: the backend sets it with admin calls.
      writeAttributes: new cognito.ClientAttributes()
        .withStandardAttributes(std(m.userPool.writeAttributes)).withCustomAttributes(...customs(m.userPool.writeAttributes)),
      supportedIdentityProviders: providers,
      disableOAuth: !federated,
      oAuth: federated ? {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [`${spaOrigin}/auth/callback`, m.userPool.mobileCallbackUrl],
        logoutUrls: [`${spaOrigin}/`, m.userPool.mobileLogoutUrl],
      } : undefined,
    });
    fixId(client, 'UserPoolClient');
    idps.forEach((p) => client.node.addDependency(p));

    // Alarms go to encrypted topics, one per tier (their own key: CloudWatch cannot use the
    // AWS-managed SNS key). AlarmTopic is the page tier, TicketTopic the ticket tier.
    const alarmKey = new kms.Key(this, 'AlarmKey', { description: 'Encrypts the ClearView alarm topics (page and ticket)', enableKeyRotation: true });
    alarmKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchPublishesAlarms',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }));
    const alarmTopic = new sns.Topic(this, 'AlarmTopic', { displayName: 'ClearView alarms: page', masterKey: alarmKey, enforceSSL: true });
    const ticketTopic = new sns.Topic(this, 'TicketTopic', { displayName: 'ClearView alarms: ticket', masterKey: alarmKey, enforceSSL: true });
    const alarmEmail = this.node.tryGetContext('alarmEmail');
    if (alarmEmail) {
      alarmTopic.addSubscription(new subs.EmailSubscription(alarmEmail));
      ticketTopic.addSubscription(new subs.EmailSubscription(alarmEmail));
    }
    const tierTopic = { page: alarmTopic, ticket: ticketTopic };
    const alarmPeriod = Duration.seconds(m.alarms.periodS);
    const alarmOn: AlarmOn = (scope, alarmId, description, metric, opts = {}) => {
      const alarm = new cloudwatch.Alarm(scope, alarmId, {
        alarmDescription: description,
        metric,
        threshold: opts.threshold ?? 1,
        evaluationPeriods: opts.periods ?? 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cwActions.SnsAction(tierTopic[opts.tier ?? 'page']));
      fixId(alarm, alarmId);
    };

    // Resume bucket (presigned uploads under uploads/, reports under reports/), logged.
    const accessLogBucket = new s3.Bucket(this, 'AccessLogBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    ack(accessLogBucket, 'AwsSolutions-S1',
      'This is the server-access-log destination; logging it into itself would loop and a second log bucket would only move the finding.');
    const bucket = new s3.Bucket(this, 'ResumeBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: accessLogBucket,
      serverAccessLogsPrefix: 'resumes/',
      lifecycleRules: [
        {
          id: 'expire-noncurrent-versions',
          noncurrentVersionExpiration: Duration.days(m.bucket.noncurrentDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        { id: 'expire-reports', prefix: m.bucket.reportsPrefix, expiration: Duration.days(m.bucket.reportDays) },
        { id: 'expire-exports', prefix: m.bucket.exportsPrefix, expiration: Duration.days(m.bucket.exportDays) },
      ],
      cors: [{
        allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET],
        allowedOrigins: [spaOrigin],
        allowedHeaders: m.bucket.uploadAllowHeaders,
        exposedHeaders: ['ETag'],
        maxAge: 3000,
      }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    fixId(bucket, 'ResumeBucket');

    // Topics and queues.
    const topics = new Map<string, sns.Topic>();
    for (const t of m.topics) {
      const topic = new sns.Topic(this, t.id, {
        masterKey: kms.Alias.fromAliasName(this, `${t.id}Key`, 'alias/aws/sns'),
        enforceSSL: true,
      });
      fixId(topic, t.id);
      topics.set(t.name, topic);
    }
    const queues = new Map<string, sqs.Queue>();
    const dlqs = new Map<string, sqs.Queue>();
    const notifications: s3.CfnBucket.QueueConfigurationProperty[] = [];
    for (const q of m.queues) {
      const dlq = new sqs.Queue(this, q.dlqId, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.seconds(q.dlqRetentionS),
      });
      const queue = new sqs.Queue(this, q.id, {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.seconds(q.retentionS),
        visibilityTimeout: Duration.seconds(q.visibilityTimeoutS),
        deadLetterQueue: { queue: dlq, maxReceiveCount: q.maxReceiveCount },
      });
      fixId(dlq, q.dlqId);
      fixId(queue, q.id);
      queues.set(q.name, queue);
      dlqs.set(q.name, dlq);
      if (q.feed.kind === 'objectCreated') {
        const grant = queue.addToResourcePolicy(new iam.PolicyStatement({
          sid: 'S3ObjectCreated',
          principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          // The bucket's ARN would make a cycle (bucket → queue policy → bucket).
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }));
        notifications.push({
          event: 's3:ObjectCreated:*',
          queue: queue.queueArn,
          filter: { s3Key: { rules: [{ name: 'prefix', value: q.feed.prefix }] } },
        });
        if (grant.policyDependable) bucket.node.addDependency(grant.policyDependable);
      } else if (q.feed.kind === 'topic') {
        const topic = topics.get(q.feed.topic);
        if (!topic) throw new Error(`queue ${q.name} subscribes to undeclared topic ${q.feed.topic}`);
        // Only the event kinds the table names reach the queue (filter on the `kind` attribute).
        const filterPolicy = q.feed.eventKinds.length
          ? { kind: sns.SubscriptionFilter.stringFilter({ matchPrefixes: q.feed.eventKinds }) }
          : undefined;
        topic.addSubscription(new subs.SqsSubscription(queue, { filterPolicy }));
      }
      alarmOn(this, `${q.dlqId}DepthAlarm`, `Messages in the ${q.name} dead-letter queue: a consumer gave up on them`,
        dlq.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }));
    }
    // Native notification configuration (not the L2 helper, which adds a custom-resource Lambda).
    // EventBridge delivery is what GuardDuty Malware Protection turns on to see new objects;
    // declared here so a stack update does not turn it off again.
    (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
      queueConfigurations: notifications,
    };

    // GuardDuty Malware Protection for S3 on the uploads: it scans each new object and tags it
    // GuardDutyMalwareScanStatus, which the parse consumer reads before it opens the file. The
    // role is the one GuardDuty documents for a plan (S3-managed encryption: no KMS grant).
    const managedRule =
      `arn:${this.partition}:events:${this.region}:${this.account}:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*`;
    const allow = (sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      new iam.PolicyStatement({ sid, actions, resources, conditions });
    const malwareRole = new iam.Role(this, 'MalwareProtectionRole', {
      description: 'Assumed by GuardDuty Malware Protection for S3 to scan and tag new resume uploads',
      assumedBy: new iam.ServicePrincipal('malware-protection-plan.guardduty.amazonaws.com'),
      inlinePolicies: {
        MalwareProtectionPlan: new iam.PolicyDocument({
          statements: [
            allow('AllowManagedRuleToSendS3EventsToGuardDuty',
              ['events:PutRule', 'events:DeleteRule', 'events:PutTargets', 'events:RemoveTargets'], [managedRule],
              { StringLike: { 'events:ManagedBy': 'malware-protection-plan.guardduty.amazonaws.com' } }),
            allow('AllowGuardDutyToMonitorEventBridgeManagedRule', ['events:DescribeRule', 'events:ListTargetsByRule'],
              [managedRule]),
            allow('AllowPostScanTag',
              ['s3:PutObjectTagging', 's3:GetObjectTagging', 's3:PutObjectVersionTagging', 's3:GetObjectVersionTagging'],
              [bucket.arnForObjects('*')]),
            allow('AllowEnableS3EventBridgeEvents', ['s3:PutBucketNotification', 's3:GetBucketNotification'],
              [bucket.bucketArn]),
            allow('AllowPutValidationObject', ['s3:PutObject'],
              [bucket.arnForObjects('malware-protection-resource-validation-object')]),
            allow('AllowCheckBucketOwnership', ['s3:ListBucket'], [bucket.bucketArn]),
            allow('AllowMalwareScan', ['s3:GetObject', 's3:GetObjectVersion'], [bucket.arnForObjects('*')]),
          ],
        }),
      },
    });
    fixId(malwareRole, 'MalwareProtectionRole');
    ack(malwareRole,
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:rule/DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*]',
      'GuardDuty names its managed EventBridge rule with a generated suffix; this prefix is the one GuardDuty documents for a plan role, and events:ManagedBy limits the writes to rules GuardDuty manages.');
    ack(malwareRole, 'AwsSolutions-IAM5[Resource::<ResumeBucket.Arn>/*]',
      'GuardDuty scans and tags every new object of the protected bucket (the plan limits it to uploads/ by its prefix); these are the object actions GuardDuty documents for a plan role.');
    const malwarePlan = new guardduty.CfnMalwareProtectionPlan(this, 'MalwareProtectionPlan', {
      role: malwareRole.roleArn,
      protectedResource: { s3Bucket: { bucketName: bucket.bucketName, objectPrefixes: [m.bucket.uploadsPrefix] } },
      actions: { tagging: { status: 'ENABLED' } },
    });
    malwarePlan.overrideLogicalId('MalwareProtectionPlan');

    // API: one HTTP API and its Cognito JWT authorizer here; each nested stack adds the routes of
    // its functions (explicit integration, route and permission, as in the SAM templates).
    const apiLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention, removalPolicy: RemovalPolicy.RETAIN });
    const methods = (Object.values(apigw.CorsHttpMethod) as apigw.CorsHttpMethod[])
      .filter((x) => ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].includes(x));
    const api = new apigw.HttpApi(this, 'HttpApi', {
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [spaOrigin],
        allowMethods: methods,
        allowHeaders: m.api.corsAllowHeaders,
        exposeHeaders: m.api.corsExposeHeaders,
        maxAge: Duration.seconds(m.api.corsMaxAgeS),
      },
    });
    fixId(api, 'HttpApi');
    const authorizer = new apigw.HttpAuthorizer(this, 'CognitoJwtAuthorizer', {
      httpApi: api,
      authorizerName: 'CognitoJwt',
      type: apigw.HttpAuthorizerType.JWT,
      identitySource: ['$request.header.Authorization'],
      jwtIssuer: `https://cognito-idp.${this.region}.amazonaws.com/${userPool.userPoolId}`,
      jwtAudience: [client.userPoolClientId],
    });
    fixId(authorizer, 'CognitoJwtAuthorizer');
    // Page: the share of the API's requests answered 5xx (API Gateway's own metrics). HTTP APIs
    // have no X-Ray tracing of their own (REST APIs do); the functions behind them are traced.
    const apiMetric = (metricName: string) => new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway', metricName, dimensionsMap: { ApiId: api.apiId }, statistic: 'Sum', period: alarmPeriod,
    });
    const { api5xxPercent, api5xxMinRequests } = m.alarms;
    const apiErrors = new cloudwatch.Alarm(this, 'ApiServerErrorRateAlarm', {
      alarmDescription: `More than ${api5xxPercent}% of the API's requests answered 5xx in ${m.alarms.periodS / 60} minutes (at least ${api5xxMinRequests} requests)`,
      metric: new cloudwatch.MathExpression({
        expression: `IF(requests >= ${api5xxMinRequests}, 100 * errors / requests, 0)`,
        usingMetrics: { errors: apiMetric('5xx'), requests: apiMetric('Count') },
        label: '5xx share of requests (%)',
        period: alarmPeriod,
      }),
      threshold: api5xxPercent,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    apiErrors.addAlarmAction(new cwActions.SnsAction(alarmTopic));
    fixId(apiErrors, 'ApiServerErrorRateAlarm');
    new apigw.HttpStage(this, 'HttpApiDefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: m.api.throttlingRateLimit, burstLimit: m.api.throttlingBurstLimit },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(apiLogs),
        format: apigateway.AccessLogFormat.custom(JSON.stringify({
          requestId: '$context.requestId', ip: '$context.identity.sourceIp', requestTime: '$context.requestTime',
          routeKey: '$context.routeKey', status: '$context.status', responseLatency: '$context.responseLatency',
          integrationError: '$context.integrationErrorMessage', authorizerError: '$context.authorizer.error',
          sub: '$context.authorizer.claims.sub',
        })),
      },
    });

    // Functions: every one runs the same multi-call binary (one zip from `make build`, dispatching
    // on the handler name), or a placeholder object that cannot deploy (synthOnly). A Code asset
    // belongs to one stack, so each nested stack binds its own Code of the same file: one hash,
    // one upload.
    const zip = path.join(REPO_ROOT, m.defaults.codeZip);
    if (!props.synthOnly && !fs.existsSync(zip)) {
      throw new Error(`${zip} is missing: run \`make build\` first, or synthesize with -c synthOnly=true to check the stack without code`);
    }
    const codeFor = (scope: Stack): lambda.Code => {
      if (!props.synthOnly) return lambda.Code.fromAsset(zip);
      const placeholder = s3.Bucket.fromBucketName(scope, 'SynthOnlyNoCode', 'clearview-synth-only-no-code-do-not-deploy');
      ack(placeholder, 'Annotation::@aws-cdk/aws-lambda:codeFromBucketObjectVersionNotSpecified',
        'Synth-only placeholder: the object does not exist and is never deployed, so there is no version to pin.');
      return lambda.Code.fromBucket(placeholder, m.defaults.codeZip);
    };
    const arn = (f: ManifestFunction, symbol: string, logGroup: logs.LogGroup): string => {
      if (symbol === 'table') return table.tableArn;
      if (symbol === 'table/index/*') return `${table.tableArn}/index/*`;
      if (symbol === 'userPool') return userPool.userPoolArn;
      if (symbol === 'mailIdentity') return this.formatArn({ service: 'ses', resource: 'identity', resourceName: mailIdentity });
      if (symbol === 'logGroup') return logGroup.logGroupArn;
      if (symbol === '*') return '*';
      if (symbol === 'bucket') return bucket.bucketArn;
      const [kind, rest] = [symbol.slice(0, symbol.indexOf(':')), symbol.slice(symbol.indexOf(':') + 1)];
      if (kind === 'queue') return need(queues.get(rest), f, symbol).queueArn;
      if (kind === 'dlq') return need(dlqs.get(rest), f, symbol).queueArn;
      if (kind === 'topic') return need(topics.get(rest), f, symbol).topicArn;
      if (kind === 'bucket') return bucket.arnForObjects(rest);
      // Integration secrets are named under the table's name (clearview_aws::secrets).
      if (kind === 'secret') {
        return this.formatArn({ service: 'secretsmanager', resource: 'secret', arnFormat: ArnFormat.COLON_RESOURCE_NAME, resourceName: `${table.tableName}/${rest}` });
      }
      throw new Error(`${f.name}: unknown resource symbol ${symbol} in infra/manifest.json`);
    };
    const shared: Record<string, string> = {
      [m.env.table]: table.tableName,
      [m.env.userPool]: userPool.userPoolId,
      [m.env.userPoolClient]: client.userPoolClientId,
      [m.env.mailFrom]: mailFrom,
      // A dynamic reference: resolved by CloudFormation at deploy time, never in the template.
      [m.env.cursorSecret]: cursorSecret.secretValue.unsafeUnwrap(),
    };
    const envValue = (f: ManifestFunction, v: { ref: string } | { secret: string }): string => {
      if ('secret' in v) {
        if (v.secret === 'SealingKeySecret') return sealingKey.secretValue.unsafeUnwrap();
        throw new Error(`${f.name}: unknown secret ${v.secret}`);
      }
      const logicalId = v.ref;
      if (logicalId === 'ResumeBucket') return bucket.bucketName;
      if (logicalId === 'PlatformAdminEmails') return platformAdminEmails;
      for (const q of m.queues) {
        if (q.id === logicalId) return need(queues.get(q.name), f, logicalId).queueUrl;
        if (q.dlqId === logicalId) return need(dlqs.get(q.name), f, logicalId).queueUrl;
      }
      for (const t of m.topics) if (t.id === logicalId) return need(topics.get(t.name), f, logicalId).topicArn;
      throw new Error(`${f.name}: unknown environment reference ${logicalId}`);
    };

    // One nested stack per API area (chunked when an area is too big), as in template.yaml.
    const byName = new Map(m.functions.map((f) => [f.name, f]));
    const runtime = new lambda.Runtime(m.defaults.runtime, lambda.RuntimeFamily.OTHER);
    for (const st of m.stacks) {
      const ns = new NestedStack(this, st.id, { description: `ClearView ${st.name}: ${st.functions.length} functions` });
      (ns.nestedStackResource as CfnResource).overrideLogicalId(st.id);
      const code = codeFor(ns);
      for (const name of st.functions) {
        const f = byName.get(name);
        if (!f) throw new Error(`stack ${st.name} names ${name}, which infra/manifest.json does not declare`);
        this.addFunction(ns, f, {
          code, runtime, architecture, retention, shared, arn, envValue, alarmOn, alarmPeriod,
          latencyPeriods: m.alarms.latencyPeriods, api, authorizer, queues,
          nestedArn: { table: nestedArnFinding(table), bucket: nestedArnFinding(bucket), tableName: `<referenceto${Names.uniqueId(table.node.defaultChild ?? table)}Ref>` },
        });
      }
    }

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the HTTP API', value: api.apiEndpoint + '/' });
    new CfnOutput(this, 'UserPoolId', { description: 'Cognito user pool id (USER_POOL_ID)', value: userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { description: 'Cognito app client id (USER_POOL_CLIENT_ID)', value: client.userPoolClientId });
    new CfnOutput(this, 'TableName', { description: 'DynamoDB table (TABLE_NAME)', value: table.tableName });
    new CfnOutput(this, 'ResumeBucketName', { description: 'Resume and report bucket', value: bucket.bucketName });
    new CfnOutput(this, 'AlarmTopicArn', { description: 'Page-tier alarm notifications (dead letters, errors, API 5xx rate)', value: alarmTopic.topicArn });
    new CfnOutput(this, 'TicketTopicArn', { description: 'Ticket-tier alarm notifications (p99 duration, throttles)', value: ticketTopic.topicArn });
    for (const t of m.topics) new CfnOutput(this, `${t.id}Arn`, { value: topics.get(t.name)!.topicArn });
    for (const q of m.queues) new CfnOutput(this, `${q.id}Url`, { value: queues.get(q.name)!.queueUrl });
  }

  /** One function in its nested stack: log group, role, function, trigger and alarms. */
  private addFunction(ns: NestedStack, f: ManifestFunction, d: FunctionDeps) {
    const logGroup = new logs.LogGroup(ns, `${f.id}LogGroup`, { retention: d.retention, removalPolicy: RemovalPolicy.RETAIN });
    const role = new iam.Role(ns, `${f.id}Role`, {
      description: `Least privilege for the ${f.name} function`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      inlinePolicies: {
        'least-privilege': new iam.PolicyDocument({
          statements: f.statements.map((s) => new iam.PolicyStatement({
            sid: s.sid, actions: s.actions, resources: s.resources.map((sym) => d.arn(f, sym, logGroup)),
          })),
        }),
      },
    });
    for (const s of f.statements) {
      if (s.resources.includes('*')) {
        ack(role, 'AwsSolutions-IAM5[Resource::*]',
          `${s.sid}: ${s.actions.join(', ')} have no resource-level permissions (X-Ray and Textract accept only "*").`);
      }
      if (s.resources.includes('table/index/*')) {
        ack(role, `AwsSolutions-IAM5[Resource::${d.nestedArn.table}/index/*]`,
          `${s.sid}: Query on the table's own GSIs (named in table_definition()); the wildcard covers only this table's indexes.`);
      }
      for (const sym of s.resources.filter((x) => x.startsWith('bucket:'))) {
        ack(role, `AwsSolutions-IAM5[Resource::${d.nestedArn.bucket}/${sym.slice(7)}]`,
          `${s.sid}: objects under the ${sym.slice(7)} prefix only; object keys are generated per upload/report.`);
      }
      for (const sym of s.resources.filter((x) => x.startsWith('secret:'))) {
        ack(role, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${d.nestedArn.tableName}/${sym.slice(7)}]`,
          `${s.sid}: this deployment's ${sym.slice(7, -1)} secrets only (named <table>/${sym.slice(7, -1)}<id>/<slot>/v<n>, one per integration and version).`);
      }
    }
    const env: Record<string, string> = { ...d.shared };
    for (const [k, v] of Object.entries(f.env)) env[k] = d.envValue(f, v);
    const fn = new lambda.Function(ns, `${f.id}Function`, {
      description: describe(f).slice(0, 256),
      runtime: d.runtime,
      // The multi-call binary dispatches on this (the provided runtime exposes it as _HANDLER).
      handler: f.name,
      code: d.code,
      architecture: d.architecture,
      memorySize: f.memoryMb,
      timeout: Duration.seconds(f.timeoutS),
      tracing: lambda.Tracing.ACTIVE,
      // The role's policy is exactly the manifest's statements: CDK may not add to it.
      role: role.withoutPolicyUpdates(),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: env,
    });
    fixId(fn, `${f.id}Function`);
    fixId(role, `${f.id}Role`);
    fixId(logGroup, `${f.id}LogGroup`);
    const t = f.trigger;
    if (t.kind === 'http') {
      // Explicit integration, route and permission (the API and its authorizer live in the root).
      const integration = new apigw.CfnIntegration(ns, `${f.id}Integration`, {
        apiId: d.api.apiId,
        integrationType: 'AWS_PROXY',
        integrationUri: fn.functionArn,
        payloadFormatVersion: '2.0',
      });
      integration.overrideLogicalId(`${f.id}Integration`);
      const isPublic = t.auth === 'public';
      const route = new apigw.CfnRoute(ns, `${f.id}Route`, {
        apiId: d.api.apiId,
        routeKey: `${t.method} ${t.path}`,
        authorizationType: isPublic ? 'NONE' : 'JWT',
        authorizerId: isPublic ? undefined : d.authorizer.authorizerId,
        target: `integrations/${integration.ref}`,
      });
      route.overrideLogicalId(`${f.id}Route`);
      if (isPublic) {
        ack(route, 'AwsSolutions-APIG4',
          `${t.method} ${t.path} is public by design (${f.summary}); it identifies the caller by the credentials in its body.`);
      }
      const permission = new lambda.CfnPermission(ns, `${f.id}Permission`, {
        action: 'lambda:InvokeFunction',
        functionName: fn.functionName,
        principal: 'apigateway.amazonaws.com',
        sourceArn: Stack.of(ns).formatArn({
          service: 'execute-api', resource: d.api.apiId, resourceName: `*/${t.method}${arnPath(t.path)}`,
        }),
      });
      permission.overrideLogicalId(`${f.id}Permission`);
    } else if (t.kind === 'sqs') {
      fn.addEventSource(new SqsEventSource(need(d.queues.get(t.queue), f, t.queue), {
        batchSize: t.batchSize,
        maxBatchingWindow: t.maxBatchingWindowS ? Duration.seconds(t.maxBatchingWindowS) : undefined,
        reportBatchItemFailures: true,
      }));
    } else {
      new events.Rule(ns, `${f.id}Schedule`, {
        schedule: events.Schedule.expression(t.expression),
        targets: [new targets.LambdaFunction(fn)],
      });
    }
    // Page: the function failed. Ticket: slower than its target for a while, or throttled.
    d.alarmOn(ns, `${f.id}ErrorsAlarm`, `${f.name} reported errors`,
      fn.metricErrors({ statistic: 'Sum', period: d.alarmPeriod }));
    d.alarmOn(ns, `${f.id}LatencyAlarm`,
      `${f.name}: p99 duration at or above ${f.latencyTargetMs} ms for ${d.latencyPeriods * d.alarmPeriod.toMinutes()} minutes`,
      fn.metricDuration({ statistic: 'p99', period: d.alarmPeriod }),
      { tier: 'ticket', threshold: f.latencyTargetMs, periods: d.latencyPeriods });
    d.alarmOn(ns, `${f.id}ThrottlesAlarm`, `${f.name} was throttled`,
      fn.metricThrottles({ statistic: 'Sum', period: d.alarmPeriod }), { tier: 'ticket' });
  }
}

/** What every function of a nested stack is built from (the root's shared resources). */
interface FunctionDeps {
  code: lambda.Code;
  runtime: lambda.Runtime;
  architecture: lambda.Architecture;
  retention: logs.RetentionDays;
  shared: Record<string, string>;
  arn: (f: ManifestFunction, symbol: string, logGroup: logs.LogGroup) => string;
  envValue: (f: ManifestFunction, v: { ref: string } | { secret: string }) => string;
  alarmOn: AlarmOn;
  alarmPeriod: Duration;
  latencyPeriods: number;
  api: apigw.HttpApi;
  authorizer: apigw.HttpAuthorizer;
  queues: Map<string, sqs.Queue>;
  /** cdk-nag's names for the table's and the bucket's ARNs in a nested stack. */
  nestedArn: { table: string; bucket: string; tableName: string };
}

/** `/api/jobs/{id}` → `/api/jobs/*` (the execute-api ARN's resource path). */
function arnPath(p: string): string {
  return p.split('/').map((s) => (s.startsWith('{') ? '*' : s)).join('/');
}

/**
 * How cdk-nag names a root resource's ARN inside a nested stack: CDK passes it as a parameter
 * named after the resource's unique id (`<referencetoClearViewTableE0C5DC1CArn>`).
 */
function nestedArnFinding(c: IConstruct): string {
  return `<referenceto${Names.uniqueId(c.node.defaultChild ?? c)}Arn>`;
}

function need<T>(v: T | undefined, f: ManifestFunction, what: string): T {
  if (v === undefined) throw new Error(`${f.name}: ${what} is not declared in infra/manifest.json`);
  return v;
}

function describe(f: ManifestFunction): string {
  const t = f.trigger;
  if (t.kind === 'http') return `${t.method} ${t.path}: ${f.summary}`;
  if (t.kind === 'sqs') return `queue ${t.queue}: ${f.summary}`;
  return `schedule ${t.expression}: ${f.summary}`;
}

export function pascal(name: string): string {
  return name.split(/[-_]/).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}
