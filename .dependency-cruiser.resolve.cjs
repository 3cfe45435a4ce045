// How dependency-cruiser resolves "@/…" (tsconfig.json's one path alias), as a webpack resolve block.
// Given its tsconfig instead, dependency-cruiser assumes a baseUrl of "./" when the tsconfig has none,
// and the package "inngest" would then resolve to this repository's folder inngest/.
module.exports = { resolve: { alias: { "@": __dirname } } };
