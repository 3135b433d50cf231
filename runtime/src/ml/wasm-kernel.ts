/** Replacing a kernel of tfjs's wasm backend with our own (wasm-concat, wasm-slice, wasm-matmul). */
import * as tf from '@tensorflow/tfjs';

/**
 * Registers `kernelFunc` as the wasm backend's `name` and returns the kernel function it replaces,
 * or undefined (nothing replaced) while the wasm backend is not registered. The replaced kernel's
 * setup (binding its wasm function) already ran when the backend started, and the returned
 * function keeps using it, so ours can hand cases back to it.
 */
export function replaceWasmKernel(name: string, kernelFunc: tf.KernelFunc): tf.KernelFunc | undefined {
  const registered = tf.getKernel(name, 'wasm');
  if (!registered) return undefined;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
  return registered.kernelFunc;
}
