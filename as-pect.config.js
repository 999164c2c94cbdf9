// as-pect: AssemblyScript specs of the numeric core, one per kernel file.
export default {
  entries: ["kernels/assembly/__tests__/**/*.spec.ts"],
  include: ["kernels/assembly/__tests__/**/*.include.ts"],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    return instantiate(binary, createImports({ env: { memory } }));
  },
  outputBinary: false,
};
