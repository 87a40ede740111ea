// Optional VPC placement: when the database or LDAP server is private, pass
// --param="subnetIds=subnet-a,subnet-b" --param="securityGroupIds=sg-1". Without them the
// functions run outside a VPC.
'use strict';
module.exports.vpc = ({ resolveVariable }) =>
  Promise.all([resolveVariable('param:subnetIds'), resolveVariable('param:securityGroupIds')]).then(([subnets, groups]) => {
    const split = (value) => String(value || '').split(',').map((item) => item.trim()).filter(Boolean);
    if (split(subnets).length === 0) return null;
    return { subnetIds: split(subnets), securityGroupIds: split(groups) };
  });
