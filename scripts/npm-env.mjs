// The environment for the nested `npm install` of prepare.mjs. npm hands its settings to
// scripts as npm_config_* variables: the user's registry, proxy, cafile, nodedir and the
// like must reach the nested install (and the node-gyp it runs), but the settings that say
// what and where the outer command installs must not turn it into another global install.

/** npm settings about the outer install's target and selection, which the nested install must not inherit. */
const OUTER_ONLY = /^npm_config_(global|location|prefix|local_prefix|global_style|allow_scripts|omit|include|only|production|also|dev|link|install_links|install_strategy|save.*|workspaces?|include_workspace_root|dry_run|package_lock_only)$/i;
/** Facts about the outer package and lifecycle step, meaningless to the nested one. */
const OUTER_FACTS = /^npm_(package|lifecycle)_/i;

export function nestedEnv(env) {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !OUTER_ONLY.test(key) && !OUTER_FACTS.test(key)));
}
