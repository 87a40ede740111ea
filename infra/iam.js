// Least privilege: the functions may read exactly the secrets they are given, nothing else.
// (Logging permissions are added by the framework, scoped to the functions' log groups.)
'use strict';
module.exports.statements = ({ resolveVariable }) =>
  Promise.all(['jwtSecretArn', 'dbSecretArn', 'ldapSecretArn'].map((name) => resolveVariable(`param:${name}`))).then((arns) => {
    const resources = arns.map((arn) => String(arn || '').trim()).filter(Boolean);
    if (resources.some((arn) => !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/.test(arn))) {
      throw new Error('secret parameters must be full Secrets Manager ARNs');
    }
    return resources.length === 0 ? [] : [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: resources }];
  });
