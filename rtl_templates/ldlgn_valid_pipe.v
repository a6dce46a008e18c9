// ldlgn_valid_pipe: valid_in delayed by L >= 1 clock cycles; synchronous active-high reset.
module ldlgn_valid_pipe #(
    parameter L = 1
) (
    input  wire clk,
    input  wire rst,
    input  wire valid_in,
    output wire valid_out
);
    reg [L-1:0] stage;  // stage[j]: valid of the sample j+1 cycles after it entered

    generate
        if (L == 1) begin : single
            always @(posedge clk) stage <= rst ? 1'b0 : valid_in;
        end else begin : chain
            always @(posedge clk) stage <= rst ? {L{1'b0}} : {stage[L-2:0], valid_in};
        end
    endgenerate

    assign valid_out = stage[L-1];
endmodule
